import Foundation
import XCTest

/// `--style` blends and `stylize train` from the command line, against the style-bank fixture
/// (Tests/PipelineTests/Fixtures/StyleBank: a tiny random bank with presets alpha, beta, gamma).
final class StyleBankCommandTests: XCTestCase {
    var folder: URL!
    static let fixtures = CLIHarness.repositoryRoot.appendingPathComponent("Tests/PipelineTests/Fixtures/StyleBank").path
    static let still = CLIHarness.repositoryRoot.appendingPathComponent("Tests/PipelineTests/Fixtures/stills/coffee.jpg").path

    override func setUpWithError() throws { folder = try CLIHarness.makeTemporaryFolder() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func environment(presets: String) -> [String: String] {
        var environment = CLIHarness.testEnvironment
        environment["STYLIZE_PRESETS"] = presets
        environment["STYLIZE_STYLE"] = nil
        return environment
    }

    func testABlendPaintsAndAPlainNetworkInABlendIsOneLine() throws {
        let env = environment(presets: Self.fixtures + ":" + CLIHarness.repositoryRoot.appendingPathComponent("Presets").path)
        let out = folder.appendingPathComponent("blend.png").path
        let painted = try CLIHarness.run(["image", Self.still, "-o", out, "--style", "alpha:0.7,beta:0.3", "--max-size", "64"],
                                         environment: env)
        XCTAssertEqual(painted.status, 0, painted.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out))
        let refused = try CLIHarness.run(["image", Self.still, "-o", folder.appendingPathComponent("no.png").path,
                                          "--style", "alpha:1,sketch:1"], environment: env)
        XCTAssertEqual(refused.status, 1)
        XCTAssertEqual(refused.stderrLines.count, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("'sketch' cannot be blended"), refused.stderr)
    }

    /// Every refusal comes before any training, in one line: none of these needs PyTorch.
    func testTrainRefusesBadInputsInOneLine() throws {
        let text = folder.appendingPathComponent("painting.jpg")
        try "not a picture".write(to: text, atomically: true, encoding: .utf8)
        for (arguments, presets, expected) in [
            (["train", text.path, "--name", "x"], Self.fixtures, "painting.jpg"),
            (["train", Self.still, "--name", "x y"], Self.fixtures, "cannot name a style"),
            (["train", Self.still, "--name", "alpha"], Self.fixtures, "exists already"),
            (["train", Self.still, "--name", "x", "--iterations", "0"], Self.fixtures, "--iterations must be at least 1"),
        ] {
            let result = try CLIHarness.run(arguments, environment: environment(presets: presets))
            XCTAssertEqual(result.status, 1, "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stderrLines.count, 1, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(expected), "\(arguments): \(result.stderr)")
        }
    }
}
