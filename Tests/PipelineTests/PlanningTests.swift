import Foundation
import XCTest
@testable import Pipeline

final class NetworkSizeTests: XCTestCase {
    func testCapsLongerSideAndRoundsToMultiplesOfFour() {
        let hd = NetworkSize(fitting: 1920, 1080, maxSize: 960)
        XCTAssertEqual(hd, NetworkSize(width: 960, height: 540))
        let portrait = NetworkSize(fitting: 1080, 1920, maxSize: 960)
        XCTAssertEqual(portrait, NetworkSize(width: 540, height: 960))
        let odd = NetworkSize(fitting: 321, 241, maxSize: 960)
        XCTAssertEqual(odd, NetworkSize(width: 320, height: 240), "small frames are not upscaled, only rounded")
        XCTAssertEqual(NetworkSize(fitting: 2, 2, maxSize: 960), NetworkSize(width: 4, height: 4))
    }

    func testRealtimeNetworksRoundToMultiplesOfEight() {
        // Three stride-2 stages: 540 rows would come back as 544.
        XCTAssertEqual(NetworkSize(fitting: 1920, 1080, maxSize: 960, multiple: 8), NetworkSize(width: 960, height: 544))
        XCTAssertEqual(NetworkSize(fitting: 640, 360, maxSize: 960, multiple: 8), NetworkSize(width: 640, height: 360))
        XCTAssertEqual(NetworkSize(fitting: 3, 3, maxSize: 960, multiple: 8), NetworkSize(width: 8, height: 8))
    }
}

final class ThreadPlanTests: XCTestCase {
    func testDefaultsToOneWorkerPerThread() {
        XCTAssertEqual(ThreadPlan(threads: 2), ThreadPlan(threads: 2, workers: 2))
        XCTAssertEqual(ThreadPlan(threads: 2).threadsPerWorker, 1)
    }

    func testExplicitWorkersShareTheThreads() {
        let plan = ThreadPlan(threads: 8, workers: 2)
        XCTAssertEqual(plan.workers, 2)
        XCTAssertEqual(plan.threadsPerWorker, 4)
        XCTAssertEqual(ThreadPlan(threads: 2, workers: 9).workers, 2, "more workers than threads")
        XCTAssertEqual(ThreadPlan(threads: 0).workers, 1)
    }
}

final class OutputFileTests: TemporaryFolderTestCase {
    func testCommitRenamesAndDiscardRemoves() throws {
        let target = folder.appendingPathComponent("a.mp4").path
        let file = try OutputFile(path: target, inputPath: nil, overwrite: false)
        XCTAssertTrue(file.temporaryPath.hasSuffix(".mp4"), "temporary keeps the extension for format detection")
        XCTAssertTrue(URL(fileURLWithPath: file.temporaryPath).lastPathComponent.hasPrefix("."))
        FileManager.default.createFile(atPath: file.temporaryPath, contents: Data("x".utf8))
        try file.commit()
        XCTAssertTrue(FileManager.default.fileExists(atPath: target))
        XCTAssertFalse(FileManager.default.fileExists(atPath: file.temporaryPath))

        let other = try OutputFile(path: folder.appendingPathComponent("b.mp4").path, inputPath: nil, overwrite: false)
        FileManager.default.createFile(atPath: other.temporaryPath, contents: Data("x".utf8))
        other.discard()
        XCTAssertFalse(FileManager.default.fileExists(atPath: other.temporaryPath))
    }

    func testRefusals() throws {
        let existing = folder.appendingPathComponent("exists.mp4").path
        FileManager.default.createFile(atPath: existing, contents: Data("x".utf8))
        XCTAssertThrowsError(try OutputFile(path: existing, inputPath: nil, overwrite: false))
        XCTAssertNoThrow(try OutputFile(path: existing, inputPath: nil, overwrite: true))
        XCTAssertThrowsError(try OutputFile(path: existing, inputPath: existing, overwrite: true), "input overwritten")
        XCTAssertThrowsError(try OutputFile(path: folder.appendingPathComponent("no/x.mp4").path, inputPath: nil, overwrite: false))
        XCTAssertThrowsError(try OutputFile(path: folder.path, inputPath: nil, overwrite: true), "a folder as output")
    }
}
