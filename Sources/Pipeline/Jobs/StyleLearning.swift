import Foundation
import MediaIO
import PresetCatalog

/// What `stylize train` learns: a painting, as a new row of the style bank.
public struct StyleLearningOptions: Sendable {
    public var paintingPath: String
    public var name: String
    public var title: String?
    public var artist: String?
    /// Training steps; nil: the recipe's default (a few minutes on two cores).
    public var iterations: Int?
    /// Go on from the checkpoint an interrupted run left.
    public var resume = false

    public init(paintingPath: String, name: String) {
        self.paintingPath = paintingPath
        self.name = name
    }
}

/// Learns a new style from a painting in minutes: one new row of the style bank (every norm's
/// scale and shift) against its frozen shared networks, by the training recipe
/// (`Training/learn_style.py`, PyTorch on the CPU), installed as a preset in the user's folder
/// where `stylize presets` lists it. Checks first; the recipe prints its progress (with an ETA),
/// checkpoints, and writes the preset whole or not at all.
public final class StyleLearning {
    public let options: StyleLearningOptions
    /// Where the preset will be.
    public let outputFolder: String
    private let python: String
    private let script: String
    private let bank: StyleBank
    private let running = Locked<Process?>(nil)

    public init(options: StyleLearningOptions, catalog: PresetCatalog = PresetCatalog()) throws(PipelineError) {
        self.options = options
        guard options.name.range(of: #"^[A-Za-z0-9][A-Za-z0-9_-]*$"#, options: .regularExpression) != nil else {
            throw PipelineError(.options, "'\(options.name)' cannot name a style: use letters, digits, - and _")
        }
        if let iterations = options.iterations { try PipelineError.Setting.trainingSteps.check(iterations, atLeast: 1) }
        do throws(MediaError) {
            guard try MediaReader(path: options.paintingPath).nextVideoFrame() != nil else {
                throw MediaError(.noVideoStream, "\(options.paintingPath): holds no picture")
            }
        } catch { throw PipelineError(error) }
        guard let bank = catalog.bank() else {
            throw PipelineError(.style, "no style bank is installed to add a style to (looked in \(catalog.searchPaths.joined(separator: ", ")))")
        }
        self.bank = bank
        if bank.rows.contains(options.name) || (try? catalog.resolve(options.name)) != nil, !options.resume {
            throw PipelineError(.style, "a style named '\(options.name)' exists already; choose another name")
        }
        guard let script = PresetCatalog.repositoryFile("Training/learn_style.py") else {
            throw PipelineError(.style, "the training recipe (Training/learn_style.py) comes with Stylize's source: run this from a checkout")
        }
        let python = URL(fileURLWithPath: script).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".venv-train/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw PipelineError(.style, "the training environment is not set up: run Training/setup-venv.sh, then "
                                + ".venv-train/bin/python Training/fetch_data.py (the photos it learns from)")
        }
        guard let user = catalog.userFolder else { throw PipelineError(.output, "no folder for user presets") }
        self.script = script
        self.python = python
        outputFolder = user + "/" + options.name
    }

    /// Asks the recipe to stop after its current step, with a checkpoint (Ctrl-C, SIGTERM).
    public func interrupt() {
        running.withValue { process in if process?.isRunning == true { process?.interrupt() } }
    }

    /// Runs the recipe; its progress goes to this process's stdout. Returns the preset's folder.
    public func run() throws(PipelineError) -> String {
        var arguments = [script, "--style", options.paintingPath, "--name", options.name, "--bank", bank.directory,
                         "--out", outputFolder]
        if let title = options.title { arguments += ["--title", title] }
        if let artist = options.artist { arguments += ["--artist", artist] }
        if let iterations = options.iterations { arguments += ["--iterations", String(iterations)] }
        if options.resume { arguments.append("--resume") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        do { try process.run() } catch {
            throw PipelineError(.style, "cannot start \(python): \(error.localizedDescription)")
        }
        running.withValue { $0 = process }
        // Its stderr is read whole (warnings, and the one line that says why it stopped).
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        switch process.terminationStatus {
        case 0: return outputFolder
        case 130: throw PipelineError(.aborted, "stopped; a checkpoint was saved: run the same command with --resume to go on")
        default:
            let lines = text.split(separator: "\n").map(String.init)
            let reason = lines.last { $0.contains("error: ") }.map { String($0[$0.range(of: "error: ")!.upperBound...]) }
                ?? lines.last ?? "exit status \(process.terminationStatus)"
            throw PipelineError(.style, "learning '\(options.name)' failed: \(reason)")
        }
    }
}
