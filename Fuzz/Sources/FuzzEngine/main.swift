import Foundation
import FuzzDriver
import ShieldFlowCore
import ShieldFlowDetection

/// The whole engine (shipped rules, every surface) on arbitrary bytes: findings point inside the
/// text, a masked text never contains a value it masked.
let engine: DetectionEngine = {
    let dir = ProcessInfo.processInfo.environment["SHIELDFLOW_RULES"] ?? "../rules"
    return try! DetectionEngine(ruleSet: RuleSet.load(directory: dir))
}()
nonisolated(unsafe) let scratch = ScanScratch()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let surface = Surface.allCases[Int(size % Surface.allCases.count)]
    let r = engine.scan(bytes: bytes, surface: surface, scratch: scratch)
    let scalars = String(decoding: bytes, as: UTF8.self).unicodeScalars
    for f in r.findings {
        precondition(0 <= f.start && f.start <= f.end && f.end <= scalars.count, "finding outside the text")
        if f.category.isSensitiveValue, let masked = r.maskedText, f.end - f.start >= 8 {
            let value = String(String.UnicodeScalarView(scalars[scalars.index(scalars.startIndex, offsetBy: f.start)..<scalars.index(scalars.startIndex, offsetBy: f.end)]))
            precondition(!masked.contains(value), "masked text still holds a found value")
        }
    }
    return 0
}

runFuzzer { data, size in
    guard let data, size > 0 else { return 0 }
    return fuzzOne(data, size)
}
