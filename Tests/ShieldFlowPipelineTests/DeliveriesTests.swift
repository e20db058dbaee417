@testable import KafkaAdapter
@testable import ShieldFlowPipeline
import XCTest

final class DeliveriesTests: XCTestCase {
    func report(_ batch: Int, _ index: Int, error: String? = nil) -> DeliveryReport {
        DeliveryReport(token: batch << 32 | index, error: error, partition: 0, offset: Int64(index))
    }

    /// Reports of several batches, interleaved and split over polls, are counted per batch; a batch
    /// is complete when every record is acknowledged or one failed.
    func testCountsReportsPerBatchAcrossPolls() {
        var d = Daemon.Deliveries()
        d.absorb([report(1, 0), report(1, 1), report(2, 0), report(1, 2)])
        d.absorb([])
        d.absorb([report(2, 1), report(3, 0, error: "broker down"), report(2, 2)])
        XCTAssertEqual(d.acknowledged, [1: 3, 2: 3, 3: 1])
        XCTAssertEqual(d.failure, [3: "broker down"])
        let batch = { (seq: Int, count: Int) in Daemon.Batch(sequence: seq, messages: Array(repeating: ConsumedMessage.stub, count: count), outcomes: []) }
        XCTAssertTrue(d.isComplete(batch(1, 3)))
        XCTAssertFalse(d.isComplete(batch(2, 4)), "one record of batch 2 still unacknowledged")
        XCTAssertTrue(d.isComplete(batch(3, 5)), "a failure completes the batch (it is not committed)")
        d.absorb([report(2, 3)])
        XCTAssertTrue(d.isComplete(batch(2, 4)))
    }

    /// A batch the broker refused as too large fails with the fix in its message: the topic's
    /// limit is below what the producer may send, and no restart changes that.
    func testARecordRefusedAsTooLargeSaysWhichSettingsDisagree() {
        var d = Daemon.Deliveries()
        var tooLarge = report(4, 0, error: "Broker: Message size too large")
        tooLarge.recordTooLarge = true
        d.absorb([report(3, 0, error: "Local: Message timed out"), tooLarge])
        XCTAssertEqual(d.failure[3], "Local: Message timed out")
        XCTAssertTrue(d.failure[4]?.hasPrefix("Broker: Message size too large; the broker refused") == true, d.failure[4] ?? "")
        XCTAssertTrue(d.failure[4]?.contains("max.message.bytes") == true)
    }
}

extension ConsumedMessage {
    static let stub = ConsumedMessage(topic: "t", partition: 0, offset: 0, timestamp: nil, key: nil, value: [], headers: [:])
}
