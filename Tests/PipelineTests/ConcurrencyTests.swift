import Foundation
import XCTest
@testable import Pipeline

final class FrameQueueTests: XCTestCase {
    func testDeliversInFIFOOrderAcrossThreads() {
        let queue = FrameQueue<Int>(capacity: 3)
        let producer = Worker(name: "producer") {
            for i in 0..<1000 { queue.push(i) }
            queue.close()
        }
        var received: [Int] = []
        while let value = queue.pop() { received.append(value) }
        producer.join()
        XCTAssertEqual(received, Array(0..<1000))
    }

    /// A buffer handed to the queue with `handedOver()` arrives as the one storage it was: whoever
    /// pops it writes in place, with nothing copied, and the sender is left holding nothing.
    func testAHandedOverBufferArrivesUncopied() {
        let queue = FrameQueue<[Float]>(capacity: 1)
        var buffer = [Float](repeating: 1, count: 1 << 16)
        let storage = buffer.storageAddress
        XCTAssertTrue(queue.tryPush(buffer.handedOver()))
        XCTAssertTrue(buffer.isEmpty)
        var received = queue.pop()!
        received.withUnsafeMutableBufferPointer { written in
            XCTAssertEqual(UInt(bitPattern: written.baseAddress), storage, "written where it was, not copied first")
            written[0] = 2
        }
        // Pushed while still held, the same write has to copy.
        var held = [Float](repeating: 1, count: 1 << 16)
        XCTAssertTrue(queue.tryPush(held))
        var copy = queue.pop()!
        let heldStorage = held.storageAddress
        copy.withUnsafeMutableBufferPointer { XCTAssertNotEqual(UInt(bitPattern: $0.baseAddress), heldStorage) }
        held[0] = 3
    }

    func testProducerBlocksWhenFull() {
        let queue = FrameQueue<Int>(capacity: 2)
        queue.push(1); queue.push(2)
        let pushed = DispatchSemaphore(value: 0)
        let producer = Worker(name: "blocked") { queue.push(3); pushed.signal() }
        XCTAssertEqual(pushed.wait(timeout: .now() + 0.2), .timedOut, "push into a full queue returned")
        XCTAssertEqual(queue.pop(), 1)
        XCTAssertEqual(pushed.wait(timeout: .now() + 5), .success)
        producer.join()
        XCTAssertEqual(queue.pop(), 2)
        XCTAssertEqual(queue.pop(), 3)
    }

    func testCancelWakesBlockedProducerAndConsumer() {
        let full = FrameQueue<Int>(capacity: 1)
        full.push(0)
        let empty = FrameQueue<Int>(capacity: 1)
        var pushResult = true
        var popResult: Int? = 42
        let a = Worker(name: "a") { pushResult = full.push(1) }
        let b = Worker(name: "b") { popResult = empty.pop() }
        usleep(50_000)
        full.cancel(); empty.cancel()
        a.join(); b.join()
        XCTAssertFalse(pushResult)
        XCTAssertNil(popResult)
        XCTAssertNil(full.pop(), "a cancelled queue still handed out an element")
    }

    func testTryPushNeverWaits() {
        let queue = FrameQueue<Int>(capacity: 1)
        XCTAssertTrue(queue.tryPush(1))
        XCTAssertFalse(queue.tryPush(2), "a full queue took another element")
        XCTAssertEqual(queue.pop(), 1)
        XCTAssertNil(queue.tryPop())
    }

    func testCloseLetsConsumersDrain() {
        let queue = FrameQueue<String>(capacity: 4)
        queue.push("a"); queue.push("b")
        queue.close()
        XCTAssertFalse(queue.push("c"))
        XCTAssertEqual(queue.pop(), "a")
        XCTAssertEqual(queue.pop(), "b")
        XCTAssertNil(queue.pop())
    }
}

final class ReorderBufferTests: XCTestCase {
    func testRestoresOrderFromManyWorkers() {
        let buffer = ReorderBuffer<Int>(window: 8, producers: 4)
        let work = FrameQueue<Int>(capacity: 8)
        let feeder = Worker(name: "feed") { for i in 0..<500 { work.push(i) }; work.close() }
        let workers = (0..<4).map { w in
            Worker(name: "w\(w)") {
                while let i = work.pop() {
                    usleep(UInt32((i * 7919 + w) % 5) * 100)   // uneven finishing times
                    buffer.deliver(i * 10, sequence: i)
                }
                buffer.producerFinished()
            }
        }
        var out: [Int] = []
        while let v = buffer.next() { out.append(v) }
        feeder.join(); workers.forEach { $0.join() }
        XCTAssertEqual(out, (0..<500).map { $0 * 10 })
    }

    func testWorkerTooFarAheadWaits() {
        let buffer = ReorderBuffer<Int>(window: 2, producers: 1)
        let delivered = DispatchSemaphore(value: 0)
        let ahead = Worker(name: "ahead") { buffer.deliver(5, sequence: 5); delivered.signal() }
        XCTAssertEqual(delivered.wait(timeout: .now() + 0.2), .timedOut, "delivery outside the window did not wait")
        buffer.cancel()
        ahead.join()
    }
}

final class StopSignalTests: XCTestCase {
    func testEscalatesOneStepAtATime() {
        let stop = StopSignal()
        XCTAssertEqual(stop.state, .running)
        XCTAssertEqual(stop.escalate(), .finishing)
        XCTAssertEqual(stop.escalate(), .aborted)
        XCTAssertEqual(stop.escalate(), .aborted)
    }
}
