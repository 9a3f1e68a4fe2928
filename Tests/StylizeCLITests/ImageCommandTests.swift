import Foundation
import XCTest

final class ImageCommandTests: CLITestCase {
    func testPNGInPNGOutKeepsSizeAndChangesPixels() throws {
        let input = try makePicture("in.png")
        let output = folder.appendingPathComponent("out.png")
        let result = try CLIHarness.run(["image", input.path, "-o", output.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        try assertPicture(output, width: 77, height: 53, differingFrom: input, by: 8)
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
