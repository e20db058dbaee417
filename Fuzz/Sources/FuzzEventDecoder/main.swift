import Foundation
import FuzzDriver
import ShieldFlowCore

/// Any bytes, any topic: a decoded event or a dead-letter reason, never a trap, and a decoded event
/// always has its required ids.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    for kind in EventKind.allCases {
        if case .success(let e) = EventDecoder.decode(bytes, kind: kind, maxBytes: 1 << 16) {
            precondition(!e.eventId.isEmpty && !e.sessionId.isEmpty, "decoded event without ids")
        }
    }
    return 0
}

runFuzzer { data, size in
    guard let data, size > 0 else { return 0 }
    return fuzzOne(data, size)
}
