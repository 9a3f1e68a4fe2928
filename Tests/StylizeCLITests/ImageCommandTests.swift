import Foundation
import XCTest

final class ImageCommandTests: CLITestCase {
    /// testsrc2 rounds odd sizes down, so the picture is scaled to the exact (odd) size afterwards.
    func makePicture(_ name: String, size: String = "77x53") throws -> URL {
        let url = folder.appendingPathComponent(name)
        try CLIHarness.tool("ffmpeg", ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=96x72",
                                       "-vf", "scale=\(size.replacingOccurrences(of: "x", with: ":"))", "-frames:v", "1", url.path])
        return url
    }

    func testPNGInPNGOutKeepsSizeAndChangesPixels() throws {
        let input = try makePicture("in.png")
        let output = folder.appendingPathComponent("out.png")
        let result = try CLIHarness.run(["image", input.path, "-o", output.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        let facts = try XCTUnwrap(CLIHarness.probe(output, stream: "v:0"))
        XCTAssertEqual(facts.width, 77)
        XCTAssertEqual(facts.height, 53)
        XCTAssertGreaterThan(meanAbsoluteDifference(try rawRGB(input), try rawRGB(output)), 8)
    }

    func testJPEGAtStrengthZeroIsTheInput() throws {
        let input = try makePicture("in.png", size: "64x48")
        let output = folder.appendingPathComponent("same.jpg")
        XCTAssertEqual(try CLIHarness.run(["image", input.path, "-o", output.path, "--strength", "0"]).status, 0)
        XCTAssertEqual(try CLIHarness.tool("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name",
                                                      "-of", "csv=p=0", output.path]), "mjpeg\n")
        XCTAssertLessThan(meanAbsoluteDifference(try rawRGB(input), try rawRGB(output)), 4, "JPEG of the unchanged picture drifted")
    }

    func testUnsupportedOutputFormatIsRefusedBeforeWork() throws {
        let input = try makePicture("in.png")
        let result = try CLIHarness.run(["image", input.path, "-o", folder.appendingPathComponent("out.gif").path])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertEqual(result.stderrLines.count, 1, result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("out.gif").path))
    }
}
