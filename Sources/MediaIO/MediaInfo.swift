import CFFmpeg

/// A rational number as FFmpeg uses for time bases and frame rates.
public struct Rational: Sendable, Equatable, CustomStringConvertible {
    public var num: Int32
    public var den: Int32
    public init(num: Int32, den: Int32) {
        self.num = num
        self.den = den
    }
    public var doubleValue: Double { den == 0 ? 0 : Double(num) / Double(den) }
    public var description: String { "\(num)/\(den)" }
}

/// Colour metadata of a video stream, as FFmpeg enum raw values
/// (AVColorPrimaries, AVColorTransferCharacteristic, AVColorSpace, AVColorRange, AVChromaLocation).
/// 2 / 2 / 2 / 0 / 0 mean "unspecified".
public struct ColorDescription: Sendable, Equatable, CustomStringConvertible {
    public var primaries: Int
    public var transfer: Int
    public var matrix: Int
    public var range: Int
    public var chromaLocation: Int

    public init(primaries: Int, transfer: Int, matrix: Int, range: Int, chromaLocation: Int) {
        self.primaries = primaries
        self.transfer = transfer
        self.matrix = matrix
        self.range = range
        self.chromaLocation = chromaLocation
    }

    public static let unspecified = ColorDescription(
        primaries: Int(AVCOL_PRI_UNSPECIFIED.rawValue), transfer: Int(AVCOL_TRC_UNSPECIFIED.rawValue),
        matrix: Int(AVCOL_SPC_UNSPECIFIED.rawValue), range: Int(AVCOL_RANGE_UNSPECIFIED.rawValue),
        chromaLocation: Int(AVCHROMA_LOC_UNSPECIFIED.rawValue))

    /// BT.601 (SMPTE 170M) matrix, limited range, nothing else said: what webcams send.
    public static let bt601LimitedRange = ColorDescription(
        primaries: Int(AVCOL_PRI_UNSPECIFIED.rawValue), transfer: Int(AVCOL_TRC_UNSPECIFIED.rawValue),
        matrix: Int(AVCOL_SPC_SMPTE170M.rawValue), range: Int(AVCOL_RANGE_MPEG.rawValue),
        chromaLocation: Int(AVCHROMA_LOC_UNSPECIFIED.rawValue))

    /// True when the range is tagged full ("pc"/"jpeg").
    public var isFullRange: Bool { range == Int(AVCOL_RANGE_JPEG.rawValue) }

    /// FFmpeg's names, e.g. "bt709/bt709/bt709/tv/left".
    public var description: String {
        func name(_ cString: UnsafePointer<CChar>?) -> String { cString.map { String(cString: $0) } ?? "?" }
        return [name(av_color_primaries_name(AVColorPrimaries(UInt32(truncatingIfNeeded: primaries)))),
                name(av_color_transfer_name(AVColorTransferCharacteristic(UInt32(truncatingIfNeeded: transfer)))),
                name(av_color_space_name(AVColorSpace(UInt32(truncatingIfNeeded: matrix)))),
                name(av_color_range_name(AVColorRange(UInt32(truncatingIfNeeded: range)))),
                name(av_chroma_location_name(AVChromaLocation(UInt32(truncatingIfNeeded: chromaLocation))))]
            .joined(separator: "/")
    }

    init(_ par: UnsafePointer<AVCodecParameters>) {
        self.init(primaries: Int(par.pointee.color_primaries.rawValue), transfer: Int(par.pointee.color_trc.rawValue),
                  matrix: Int(par.pointee.color_space.rawValue), range: Int(par.pointee.color_range.rawValue),
                  chromaLocation: Int(par.pointee.chroma_location.rawValue))
    }
}

public struct VideoStreamInfo: Sendable {
    public let width: Int
    public let height: Int
    public let pixelFormatName: String
    public let codecName: String
    public let timeBase: Rational
    /// r_frame_rate / avg_frame_rate best guess (nil when unknown).
    public let frameRate: Rational?
    /// nb_frames when the container knows, else an estimate from duration × rate, else nil.
    public let frameCount: Int?
    /// Seconds.
    public let duration: Double?
    /// Degrees from the display matrix, counter-clockwise as `av_display_rotation_get` and ffprobe
    /// report them (a phone video shot upright usually says -90); 0 when none.
    public let rotation: Double
    public let color: ColorDescription
    public let sampleAspectRatio: Rational
    /// The stream's display matrix (9 × Int32, 16.16/2.30 fixed point) when it has one; the writer copies it
    /// as is (flips included). When nil the writer builds one from `rotation`.
    public let displayMatrix: [Int32]?

    public init(width: Int, height: Int, pixelFormatName: String, codecName: String, timeBase: Rational,
                frameRate: Rational?, frameCount: Int?, duration: Double?, rotation: Double = 0,
                color: ColorDescription = .unspecified, sampleAspectRatio: Rational = Rational(num: 1, den: 1),
                displayMatrix: [Int32]? = nil) {
        self.width = width
        self.height = height
        self.pixelFormatName = pixelFormatName
        self.codecName = codecName
        self.timeBase = timeBase
        self.frameRate = frameRate
        self.frameCount = frameCount
        self.duration = duration
        self.rotation = rotation
        self.color = color
        self.sampleAspectRatio = sampleAspectRatio
        self.displayMatrix = displayMatrix
    }
}

public struct AudioStreamInfo: Sendable {
    public let codecName: String
    public let sampleRate: Int
    public let channels: Int
    public let duration: Double?

    public init(codecName: String, sampleRate: Int, channels: Int, duration: Double?) {
        self.codecName = codecName
        self.sampleRate = sampleRate
        self.channels = channels
        self.duration = duration
    }
}

public struct MediaInfo: Sendable {
    /// FFmpeg's demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm", "avi".
    public let container: String
    public let video: VideoStreamInfo
    public let audio: AudioStreamInfo?
    /// Seconds (the container's duration).
    public let duration: Double?

    public init(container: String, video: VideoStreamInfo, audio: AudioStreamInfo?, duration: Double?) {
        self.container = container
        self.video = video
        self.audio = audio
        self.duration = duration
    }
}
