import Foundation
import MediaIO
import PresetCatalog
import StyleEngine

/// What to do with one still picture.
public struct ImageJobOptions: Sendable {
    public var inputPath: String
    public var outputPath: String
    public var style: StyleSettings
    /// Longer side the network paints at. Stills get more pixels than video by
    /// default: one frame, and people look at it closely.
    public var maxSize = ImageJobOptions.defaultMaxSize
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    public var overwrite = false

    public static let defaultMaxSize = 1600

    public init(inputPath: String, outputPath: String, style: StyleSettings) {
        self.inputPath = inputPath
        self.outputPath = outputPath
        self.style = style
    }

    /// Every value checked once, before any work.
    func validate() throws(PipelineError) {
        try style.validate()
        try PipelineError.Setting.maxSize.check(maxSize, atLeast: 16, unit: " pixels")
        try PipelineError.Setting.threads.check(threads, atLeast: 1)
    }
}

public struct ImageJobSummary: Sendable {
    public let outputPath: String
    public let width: Int
    public let height: Int
    public let networkSize: NetworkSize
    public let elapsed: Double
}

/// Stylizes one picture (png, jpg, or the first frame of anything FFmpeg reads)
/// into a PNG or JPEG of the same size. Same contract as the video job: checks
/// first, output complete or absent.
public final class ImageStylization {
    public let options: ImageJobOptions
    public let networkSize: NetworkSize
    private let frame: VideoFrame
    private let model: StyleModel
    private let output: OutputFile
    private let format: StillImageWriter.Format

    public init(options: ImageJobOptions) throws(PipelineError) {
        try options.validate()
        format = try StillPicture.format(of: options.outputPath)
        self.options = options
        frame = try StillPicture.read(options.inputPath)
        output = try OutputFile(path: options.outputPath, inputPath: options.inputPath, overwrite: options.overwrite)
        model = try options.style.loadModel()
        networkSize = NetworkSize(fitting: frame.width, frame.height, maxSize: options.maxSize,
                                  multiple: options.style.preset.sizeMultiple)
    }

    public func run() throws(PipelineError) -> ImageJobSummary {
        let start = monotonicSeconds()
        let stylizer = FrameStylizer(model: model, inputRange: options.style.preset.inputRange, size: networkSize,
                                     threads: max(1, options.threads), precision: options.style.precision)
        let stylized = try stylizer.stylize(frame, modelInputs: options.style.modelInputs(strength: options.style.strength))
        try StillPicture.write(to: output, format: format) { () throws(PipelineError) in
            try FrameConverter().compose(stylized, strength: options.style.fade(strength: options.style.strength),
                                         preserveColors: options.style.preserveColors, chroma: .full)
        }
        return ImageJobSummary(outputPath: output.finalPath, width: frame.width, height: frame.height,
                               networkSize: networkSize, elapsed: monotonicSeconds() - start)
    }
}
