import Foundation
import XCTest

/// A test case with a fresh folder per test, removed afterwards.
class TemporaryFolderTestCase: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("stylize-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let folder { try? FileManager.default.removeItem(at: folder) }
    }

    /// A `testsrc2` clip made by ffmpeg (skips the test where ffmpeg is missing).
    func makeClip(_ url: URL, size: String, rate: Int, frames: Int, audio: Bool = false) throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/bin/ffmpeg"), "ffmpeg is not installed; run scripts/install-deps.sh")
        let ffmpeg = Process()
        ffmpeg.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        var arguments = ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=\(size):rate=\(rate)"]
        if audio { arguments += ["-f", "lavfi", "-i", "sine=frequency=300", "-t", String(Double(frames) / Double(rate)), "-c:a", "aac"] }
        ffmpeg.arguments = arguments + ["-frames:v", "\(frames)", "-pix_fmt", "yuv420p", url.path]
        try ffmpeg.run()
        ffmpeg.waitUntilExit()
        XCTAssertEqual(ffmpeg.terminationStatus, 0, "ffmpeg could not make \(url.lastPathComponent)")
    }
}
