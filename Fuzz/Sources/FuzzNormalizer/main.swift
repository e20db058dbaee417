import Foundation
import FuzzDriver
import ShieldFlowDetection

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzHooks.normalizeAndDecode(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

runFuzzer { data, size in
    guard let data, size > 0 else { return 0 }
    return fuzzOne(data, size)
}
