@testable import ShieldFlowCore
import XCTest

final class ReplayTableTests: XCTestCase {
    /// Against a dictionary and a FIFO of keys, with hashes squeezed into a few values so that
    /// runs collide, wrap around the end of the slots and are shifted back on every eviction.
    func testMatchesAReferenceWithCollidingHashes() {
        var rng = SystemRandomNumberGenerator()
        for (capacity, hashes) in [(1, 1), (3, 2), (7, 5), (64, 3), (64, 1 << 20), (500, 40)] {
            var table = ReplayTable<Int, Int>(capacity: capacity)
            var reference: [Int: Int] = [:]
            var fifo: [Int] = []
            // Hashes near the top of the slot range too, so runs wrap past the last slot.
            func hash(_ k: Int) -> Int { (k % hashes) &* 0x9E37_79B9 &+ (k % 2 == 0 ? -1 : 0) }
            for step in 0..<20_000 {
                let key = Int.random(in: 0..<(capacity * 3), using: &rng)
                XCTAssertEqual(table.value(for: key, hash: hash(key)), reference[key], "capacity \(capacity), step \(step), key \(key)")
                guard reference[key] == nil else { continue }
                table.insert(key, hash: hash(key), step)
                reference[key] = step
                fifo.append(key)
                if fifo.count > capacity { reference[fifo.removeFirst()] = nil }
                XCTAssertEqual(table.count, fifo.count)
            }
            for key in 0..<(capacity * 3) {
                XCTAssertEqual(table.value(for: key, hash: hash(key)), reference[key], "capacity \(capacity), key \(key) at the end")
            }
        }
    }

    func testEqualHashesAreTellApartByKey() {
        var table = ReplayTable<String, Int>(capacity: 4)
        table.insert("a", hash: 42, 1)
        table.insert("b", hash: 42, 2)
        XCTAssertEqual(table.value(for: "a", hash: 42), 1)
        XCTAssertEqual(table.value(for: "b", hash: 42), 2)
        XCTAssertNil(table.value(for: "c", hash: 42))
    }
}
