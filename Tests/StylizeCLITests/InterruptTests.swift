import Foundation
import XCTest

/// Ctrl-C once: a valid, shorter file. Twice: nothing left behind.
final class InterruptTests: CLITestCase {
    var clip: URL!

    override func setUpWithError() throws {
        try super.setUpWithError()
        clip = folder.appendingPathComponent("long.mp4")
        // Long enough that the job is still running when the signal lands.
        try CLIHarness.makeClip(clip, size: "640x480", frames: 500, rate: 25, extraOutputArguments: ["-c:a", "aac"])
    }

    /// Starts a job and returns once it has reported some progress.
    func startJob(output: URL) throws -> (Process, Pipe) {
        let (process, _, err) = try CLIHarness.start(["video", clip.path, "-o", output.path])
        // Progress goes to a pipe, so it is printed as plain "Stylizing: N%" lines.
        let seen = wait(for: "%", in: err)
        XCTAssertTrue(process.isRunning, "the job ended before it could be interrupted: \(seen)")
        return (process, err)
    }

    /// Reads stderr until `text` appears (or the pipe closes); returns what was read.
    func wait(for text: String, in pipe: Pipe) -> String {
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains(text) {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += chunk
        }
        return String(decoding: seen, as: UTF8.self)
    }

    func testFirstInterruptFinishesAShorterValidFile() throws {
        let out = folder.appendingPathComponent("short.mp4")
        let (process, err) = try startJob(output: out)
        kill(process.processIdentifier, SIGINT)
        let rest = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 130, rest)
        XCTAssertTrue(rest.contains("Stopped early"), rest)
        let facts = try XCTUnwrap(CLIHarness.probe(out, stream: "v:0"), "no valid file after one Ctrl-C")
        let frames = try XCTUnwrap(facts.frames)
        XCTAssertGreaterThan(frames, 0)
        XCTAssertLessThan(frames, 500)
        XCTAssertNotNil(try CLIHarness.probe(out, stream: "a:0"), "audio missing from the shorter file")
        XCTAssertEqual(CLIHarness.contents(folder).filter { $0.hasPrefix(".") }, [])
    }

    func testSecondInterruptAbortsAndRemovesEverything() throws {
        let out = folder.appendingPathComponent("aborted.mp4")
        let before = CLIHarness.contents(folder)
        let (process, err) = try startJob(output: out)
        kill(process.processIdentifier, SIGINT)
        // The kernel merges signals still pending, as a person's two presses never are:
        // wait until the first one was acted on.
        _ = wait(for: "Stopping", in: err)
        kill(process.processIdentifier, SIGINT)
        let rest = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 130, rest)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
        XCTAssertEqual(CLIHarness.contents(folder), before, "partial files left behind")
    }
}
