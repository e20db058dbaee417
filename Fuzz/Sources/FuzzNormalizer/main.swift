import ShieldFlowDetection

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzHooks.normalizeAndDecode(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
