import Foundation
import XCTest

/// `scripts/install.sh` into a temporary prefix: the installed binary finds its presets and sample
/// clip from any folder, man pages and completions are in place, and `--uninstall` leaves nothing.
final class InstallTests: CLITestCase {
    /// Runs `executable` with exactly `environment`; returns status and both outputs together.
    private func run(_ executable: String, _ arguments: [String], in directory: URL? = nil,
                     environment: [String: String]) throws -> (status: Int32, output: String) {
        let result = try CLIHarness.run(arguments, in: directory, executable: executable, environment: environment)
        return (result.status, result.stdout + result.stderr)
    }

    func testInstallRunFromElsewhereAndUninstall() throws {
        let prefix = folder.appendingPathComponent("prefix"), elsewhere = folder.appendingPathComponent("elsewhere")
        for url in [prefix, elsewhere] { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        let script = CLIHarness.repositoryRoot.appendingPathComponent("scripts/install.sh").path
        var environment = CLIHarness.testEnvironment
        // Nothing points at the repository: the installed binary must find its own presets
        // (the tiny placeholder network, which keeps a debug build fast, is installed like the others).
        environment["STYLIZE_PRESETS"] = nil
        environment["XDG_DATA_HOME"] = nil
        environment["HOME"] = elsewhere.path
        // Run by name from the PATH, as people do (argv[0] is then a bare "stylize").
        environment["PATH"] = prefix.appendingPathComponent("bin").path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")

        // Twice: a second install replaces the first, leaving nothing of it behind.
        for _ in 0..<2 {
            let install = try run(script, ["--prefix", prefix.path, "--binary", CLIHarness.binary], environment: environment)
            XCTAssertEqual(install.status, 0, install.output)
        }
        let stylize = { (arguments: [String]) in try self.run("/usr/bin/env", ["stylize"] + arguments, in: elsewhere, environment: environment) }

        let presets = try stylize(["presets"])
        XCTAssertEqual(presets.status, 0, presets.output)
        XCTAssertTrue(presets.output.contains("starry-night"), presets.output)
        XCTAssertTrue(presets.output.contains("(default)"), presets.output)

        // No input: the installed sample clip.
        let video = try stylize(["video", "--no-temporal", "--max-size", "96", "--encoder-preset", "ultrafast"])
        XCTAssertEqual(video.status, 0, video.output)
        XCTAssertTrue(video.output.contains("Done: 100 frames"), video.output)
        let written = elsewhere.appendingPathComponent("city-night-sketch.mp4")
        XCTAssertEqual(try CLIHarness.probe(written, stream: "v:0")?.frames, 100)

        // The loss network's fetcher, where the missing-network message says it is.
        XCTAssertTrue(FileManager.default.isExecutableFile(
            atPath: prefix.appendingPathComponent("share/stylize/fetch-loss-network.sh").path))

        // `man stylize-video` shows the options; the bash completion registers itself.
        let page = prefix.appendingPathComponent("share/man/man1/stylize-video.1").path
        let pageText = try String(contentsOfFile: page, encoding: .utf8)
        XCTAssertTrue(pageText.contains(".Dt STYLIZE-VIDEO 1"), String(pageText.prefix(300)))
        XCTAssertTrue(pageText.contains("exact-size"), "options missing from the page")
        XCTAssertTrue(pageText.contains("0...1"), "help text spelled in ASCII, not dropped")
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/man") {
            var manEnvironment = environment
            manEnvironment["MANPAGER"] = "cat"
            let man = try run("/usr/bin/man", ["-M", prefix.appendingPathComponent("share/man").path, "stylize-video"],
                              environment: manEnvironment)
            XCTAssertEqual(man.status, 0, man.output)
            XCTAssertTrue(man.output.contains("--exact-size"), man.output)
        }
        let completion = prefix.appendingPathComponent("share/bash-completion/completions/stylize").path
        let complete = try run("/bin/bash", ["-c", "source '\(completion)' && complete -p stylize"], environment: environment)
        XCTAssertEqual(complete.status, 0, complete.output)
        XCTAssertTrue(complete.output.hasSuffix("stylize\n"), complete.output)
        for file in ["share/zsh/site-functions/_stylize", "share/fish/vendor_completions.d/stylize.fish"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: prefix.appendingPathComponent(file).path), file)
        }

        let uninstall = try run(script, ["--prefix", prefix.path, "--uninstall"], environment: environment)
        XCTAssertEqual(uninstall.status, 0, uninstall.output)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: prefix.path), [], "the prefix is empty again")
        let again = try run(script, ["--prefix", prefix.path, "--uninstall"], environment: environment)
        XCTAssertEqual(again.status, 1, "nothing left to uninstall")
        XCTAssertTrue(again.output.contains("nothing installed"), again.output)
    }
}
