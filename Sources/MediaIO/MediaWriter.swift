import CFFmpeg
import Foundation

public struct EncoderSettings: Sendable {
    /// libx264 CRF (0–51, lower is better). For VP9 it is mapped onto libvpx's 0–63 scale (18 → 31);
    /// for other encoders onto a fixed quantiser.
    public var crf: Int = 18
    /// libx264 preset (ultrafast … veryslow). For VP9 it picks libvpx's deadline and cpu-used.
    public var preset: String = "medium"
    /// Encoder threads, 0 = auto.
    public var threads: Int = 0
    /// H.264 at an odd width or height: `false` drops the last row or column and writes 4:2:0, which
    /// every player takes; `true` keeps the exact size as 4:4:4 (High 4:4:4), which browsers, phones
    /// and most players refuse. (4:2:0 cannot hold odd sizes in H.264: x264's crop must be even too.)
    public var keepOddSize = false
    public init() {}
}

/// Encodes video frames (and copies or transcodes audio) into a new file. Use from one thread at a time
/// (`Sendable` only so it can be handed to the thread that writes).
public final class MediaWriter: @unchecked Sendable {
    /// Bytes written to the file so far (the final size after `finish()`).
    public private(set) var bytesWritten: Int64 = 0
    /// The picture size in the file: the source's, or one row or column less (see `EncoderSettings.keepOddSize`).
    public let width: Int, height: Int
    /// Pictures of the source's size lose their last row or column (`width`/`height` are smaller).
    private let cropsSource: (width: Int, height: Int)?

    private let displayName: String
    private let path: String
    private let output: OutputContainer
    private let video: CodecContext
    private let videoStream: Int32
    private let sourceTimeBase: AVRational
    private let encoderTimeBase: AVRational
    private let encoderFormat: AVPixelFormat
    private let encoderFullRange: Bool
    private let encoderMatrix: Int32
    private let defaultDuration: Int64
    private let scaler = Scaler()
    private let packet: PacketRef
    private var lastPTS: Int64?
    /// Frame durations by encoder pts, to put on the packets the encoder returns.
    private var durations: [Int64: Int64] = [:]
    private let audio: AudioOutput?
    private var state: State = .writing

    private enum State { case writing, finished, closed, failed }

    /// Writes to `path` ("pipe:1": standard output) with the container chosen from `containerFrom` (the final file name, e.g. "out.mp4"):
    /// mp4/mov/mkv → H.264 (libx264), webm → VP9 (libvpx-vp9); other extensions FFmpeg knows: H.264 if the
    /// muxer takes it, else that muxer's default video codec; unknown → `invalidArgument`.
    /// `source` gives size, time base, frame rate, rotation, colour metadata and SAR. With `audioFrom`, the
    /// output gets its audio: copied when the container accepts the codec, else transcoded (AAC, Opus for webm).
    public init(path: String, containerFrom: String, source: VideoStreamInfo, audioFrom: MediaReader?,
                settings: EncoderSettings) throws(MediaError) {
        _ = FFmpegRuntime.configured
        let target = URL(fileURLWithPath: path)
        let folder = target.deletingLastPathComponent().path
        let finalName = (containerFrom as NSString).lastPathComponent
        displayName = path == "pipe:1" ? "standard output"
            : path.contains("/") ? (folder as NSString).appendingPathComponent(finalName) : finalName
        self.path = path
        let display = displayName

        // Container and codec.
        let ext = (containerFrom as NSString).pathExtension.lowercased()
        guard !ext.isEmpty, let format = av_guess_format(nil, containerFrom, nil) else {
            throw MediaError(.invalidArgument,
                             "\(display): unknown output format \(ext.isEmpty ? "(no file extension)" : "\".\(ext)\"")")
        }
        // Audio formats whose "video" is cover art (MP3: PNG) cannot hold a video either.
        let coverArtOnly = format.pointee.audio_codec != AV_CODEC_ID_NONE
            && [AV_CODEC_ID_PNG, AV_CODEC_ID_BMP, AV_CODEC_ID_TIFF].contains(format.pointee.video_codec)
            && avformat_query_codec(format, AV_CODEC_ID_H264, FF_COMPLIANCE_NORMAL) != 1
        guard format.pointee.video_codec != AV_CODEC_ID_NONE, !coverArtOnly else {
            throw MediaError(.invalidArgument, "\(display): a .\(ext) file cannot hold video")
        }
        guard source.width > 0, source.height > 0 else {
            throw MediaError(.invalidArgument, "\(display): invalid picture size \(source.width)×\(source.height)")
        }

        // The folder must exist and be writable (checked here for a clear message).
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) {
            throw MediaError(.outputUnwritable, "\(display): output folder does not exist")
        }
        if !isDirectory.boolValue {
            throw MediaError(.outputUnwritable, "\(display): output folder does not exist (\(folder) is a file)")
        }

        let codec = try MediaWriter.videoEncoder(for: format, ext: ext, display: display)
        let codecIsX264 = String(cString: codec.pointee.name) == "libx264"
        let codecIsVP9 = String(cString: codec.pointee.name) == "libvpx-vp9"

        do {
            output = try OutputContainer(format: format, path: path)
        } catch {
            throw MediaError.writing(display, error, fallback: .muxFailed)
        }

        // Pixel format and range.
        let sourceFormat = pixelFormat(named: source.pixelFormatName)
        let sourceIsRGB = sourceFormat != AV_PIX_FMT_NONE && isRGBFormat(sourceFormat)
        let fullRange = !sourceIsRGB && (source.color.isFullRange || isJPEGFormat(sourceFormat))
        let odd = source.width % 2 == 1 || source.height % 2 == 1
        // 1 pixel wide or high has no even size to crop to.
        let croppable = source.width > 1 && source.height > 1
        var encFormat: AVPixelFormat
        var size = (width: source.width, height: source.height)
        if codecIsX264 {
            if odd && (settings.keepOddSize || !croppable) {
                encFormat = AV_PIX_FMT_YUV444P
            } else {
                encFormat = AV_PIX_FMT_YUV420P
                size = (source.width & ~1, source.height & ~1)
            }
        } else if codecIsVP9 {
            encFormat = AV_PIX_FMT_YUV420P
        } else {
            encFormat = MediaWriter.preferredFormat(of: codec, source: sourceFormat)
        }
        if codec.pointee.id == AV_CODEC_ID_MJPEG && encFormat == AV_PIX_FMT_YUV420P {
            encFormat = AV_PIX_FMT_YUVJ420P  // JPEG is full range
        }
        let encIsRGB = isRGBFormat(encFormat)
        encoderFormat = encFormat
        width = size.width
        height = size.height
        cropsSource = size == (source.width, source.height) ? nil : (source.width, source.height)
        encoderFullRange = encIsRGB || isJPEGFormat(encFormat) || fullRange
        let matrix = ColorMath.effectiveMatrix(Int32(source.color.matrix), width: source.width, height: source.height)
        encoderMatrix = matrix

        // Time base: the source's, unless the encoder needs a standard frame rate or a small denominator.
        let rate = source.frameRate.flatMap { $0.isValid ? $0.av : nil }
        var tb = source.timeBase.isValid ? source.timeBase.av : av_inv_q(rate ?? AVRational(num: 25, den: 1))
        if !codecIsX264 && !codecIsVP9 {
            if codec.pointee.id == AV_CODEC_ID_THEORA {
                // Theora's timestamps are frame numbers (Ogg granules): one tick per frame.
                tb = av_inv_q(rate ?? AVRational(num: 25, den: 1))
            } else if let rates = codec.pointee.supported_framerates {
                let wanted = rate ?? AVRational(num: 25, den: 1)
                let index = Int(av_find_nearest_q_idx(wanted, rates))
                tb = av_inv_q(rates[index])
            } else if tb.den > 65535 {
                if let r = rate, r.num <= 65535 {
                    tb = av_inv_q(r)
                } else {
                    var num: Int32 = 0, den: Int32 = 0
                    av_reduce(&num, &den, Int64(tb.num), Int64(tb.den), 65535)
                    tb = AVRational(num: max(num, 1), den: max(den, 1))
                }
            }
        }
        sourceTimeBase = source.timeBase.isValid ? source.timeBase.av : tb
        encoderTimeBase = tb
        defaultDuration = max(1, av_rescale_q(1, av_inv_q(rate ?? AVRational(num: 25, den: 1)), tb))

        // The video encoder.
        do {
            video = try CodecContext(codec: codec)
        } catch {
            throw MediaError(.internalFailure, "\(display): \(error)")
        }
        let enc = video.pointer
        enc.pointee.width = Int32(size.width)
        enc.pointee.height = Int32(size.height)
        enc.pointee.pix_fmt = encFormat
        enc.pointee.time_base = tb
        if let r = rate { enc.pointee.framerate = r }
        enc.pointee.sample_aspect_ratio = source.sampleAspectRatio.isValid ? source.sampleAspectRatio.av : AVRational(num: 1, den: 1)
        enc.pointee.thread_count = Int32(max(0, settings.threads))
        if !encIsRGB {
            enc.pointee.color_primaries = AVColorPrimaries(UInt32(truncatingIfNeeded: source.color.primaries))
            enc.pointee.color_trc = AVColorTransferCharacteristic(UInt32(truncatingIfNeeded: source.color.transfer))
            // An RGB source converted to YUV gets the matrix we converted with; an untagged one stays untagged.
            enc.pointee.colorspace = source.color.matrix == Int(AVCOL_SPC_RGB.rawValue) || sourceIsRGB
                ? AVColorSpace(UInt32(matrix)) : AVColorSpace(UInt32(truncatingIfNeeded: source.color.matrix))
            if encoderFullRange {
                enc.pointee.color_range = AVCOL_RANGE_JPEG
            } else if sourceIsRGB || source.color.range != Int(AVCOL_RANGE_UNSPECIFIED.rawValue) {
                enc.pointee.color_range = AVCOL_RANGE_MPEG
            }
            if encFormat == AV_PIX_FMT_YUV420P || encFormat == AV_PIX_FMT_YUVJ420P {
                enc.pointee.chroma_sample_location = AVChromaLocation(UInt32(truncatingIfNeeded: source.color.chromaLocation))
            }
        }
        if output.needsGlobalHeader { enc.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER }

        var options: [String: String] = [:]
        if codecIsX264 {
            let presets = ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "placebo"]
            guard presets.contains(settings.preset) else {
                throw MediaError(.invalidArgument, "unknown preset \"\(settings.preset)\" (one of \(presets.joined(separator: ", ")))")
            }
            guard (0...51).contains(settings.crf) else {
                throw MediaError(.invalidArgument, "crf \(settings.crf) is out of range (0–51)")
            }
            options["preset"] = settings.preset
            options["crf"] = String(settings.crf)
        } else if codecIsVP9 {
            let (deadline, cpuUsed) = MediaWriter.vp9Speed(preset: settings.preset)
            options["crf"] = String(MediaWriter.vp9CRF(fromX264: settings.crf))
            options["b"] = "0"  // constant quality
            options["deadline"] = deadline
            options["cpu-used"] = String(cpuUsed)
            options["row-mt"] = "1"
        } else if codec.pointee.capabilities & AV_CODEC_CAP_EXPERIMENTAL == 0 {
            // Other encoders (MPEG-1/2/4, MJPEG, …): a fixed quantiser instead of their low default bit rate.
            // (MPEG-style quantisers: lower is better, 2–31; Theora's scale runs the other way, 0–10.)
            enc.pointee.flags |= AV_CODEC_FLAG_QSCALE
            let q = codec.pointee.id == AV_CODEC_ID_THEORA ? max(0, min(10, 10 - settings.crf / 6))
                : max(2, min(31, (settings.crf + 3) / 6))
            enc.pointee.global_quality = FF_QP2LAMBDA * Int32(q)
        }
        do {
            try video.open(options: options)
        } catch {
            throw MediaError(.encoderFailed,
                             "\(display): could not start the \(video.name) encoder for \(size.width)×\(size.height) (\(error.text))")
        }

        let st: UnsafeMutablePointer<AVStream>
        do {
            st = try output.addStream()
            try ffCheck(avcodec_parameters_from_context(st.pointee.codecpar, enc), "configuring the video stream")
            packet = try PacketRef()
        } catch {
            throw MediaError(.internalFailure, "\(display): \(error)")
        }
        st.pointee.time_base = tb
        if let r = rate { st.pointee.avg_frame_rate = r }
        st.pointee.sample_aspect_ratio = enc.pointee.sample_aspect_ratio
        videoStream = st.pointee.index

        // Rotation / flips: the display matrix goes onto the stream as is.
        var displayMatrix = source.displayMatrix ?? [Int32](repeating: 0, count: 9)
        if source.displayMatrix == nil || displayMatrix.count != 9 {
            displayMatrix = [Int32](repeating: 0, count: 9)
            displayMatrix.withUnsafeMutableBufferPointer { av_display_rotation_set($0.baseAddress, source.rotation) }
        }
        let identity: [Int32] = [1 << 16, 0, 0, 0, 1 << 16, 0, 0, 0, 1 << 30]
        if displayMatrix != identity {
            let size = 9 * MemoryLayout<Int32>.size
            if let side = av_stream_new_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, size) {
                displayMatrix.withUnsafeBytes { UnsafeMutableRawPointer(side).copyMemory(from: $0.baseAddress!, byteCount: size) }
            }
        }

        audio = try AudioOutput(from: audioFrom, format: format, ext: ext, output: output, display: display)

        // The file.
        do {
            try output.open(path: path)
        } catch {
            throw MediaError.writing(display, error, fallback: .outputUnwritable)
        }
        var headerOptions: [String: String] = [:]
        if ["mp4", "mov", "m4v"].contains(ext) { headerOptions["movflags"] = "+faststart" }
        do {
            try output.writeHeader(options: headerOptions)
        } catch {
            throw MediaError.writing(display, error, fallback: .muxFailed)
        }
        bytesWritten = output.position
    }

    deinit {
        if state == .writing || state == .failed { close() }
    }

    // MARK: Choosing codecs

    /// Extensions whose container gets H.264 and AAC (MPEG-TS's muxer cannot be asked, but takes both).
    static let h264Containers = ["mp4", "mov", "mkv", "m4v", "ts"]

    private static func videoEncoder(for format: UnsafePointer<AVOutputFormat>, ext: String,
                                     display: String) throws(MediaError) -> UnsafePointer<AVCodec> {
        var wanted: [String] = []
        if ext == "webm" {
            wanted = ["libvpx-vp9"]
        } else if MediaWriter.h264Containers.contains(ext) || avformat_query_codec(format, AV_CODEC_ID_H264, FF_COMPLIANCE_NORMAL) == 1 {
            wanted = ["libx264"]
        }
        for name in wanted {
            if let codec = avcodec_find_encoder_by_name(name) { return codec }
        }
        if !wanted.isEmpty {
            throw MediaError(.unsupportedCodec, "\(display): this FFmpeg has no \(wanted[0]) encoder")
        }
        guard let codec = avcodec_find_encoder(format.pointee.video_codec) else {
            throw MediaError(.unsupportedCodec, "\(display): this FFmpeg has no \(codecName(format.pointee.video_codec)) encoder")
        }
        return codec
    }

    /// yuv420p when the encoder takes it, else the closest format it lists.
    private static func preferredFormat(of codec: UnsafePointer<AVCodec>, source: AVPixelFormat) -> AVPixelFormat {
        guard let list = codec.pointee.pix_fmts else { return AV_PIX_FMT_YUV420P }
        var i = 0
        while list[i] != AV_PIX_FMT_NONE {
            if list[i] == AV_PIX_FMT_YUV420P { return AV_PIX_FMT_YUV420P }
            i += 1
        }
        let best = avcodec_find_best_pix_fmt_of_list(list, source == AV_PIX_FMT_NONE ? AV_PIX_FMT_YUV420P : source, 0, nil)
        return best == AV_PIX_FMT_NONE ? list[0] : best
    }

    /// x264 CRF → libvpx-vp9 CRF: 0 → 0, 18 → 31, 51 → 63, linear in between.
    static func vp9CRF(fromX264 crf: Int) -> Int {
        let c = max(0, min(51, crf))
        return c <= 18 ? (c * 31 + 9) / 18 : 31 + ((c - 18) * 32 + 16) / 33
    }

    /// x264 preset → libvpx deadline and cpu-used.
    static func vp9Speed(preset: String) -> (String, Int) {
        switch preset {
        case "ultrafast": return ("realtime", 8)
        case "superfast": return ("realtime", 7)
        case "veryfast": return ("good", 5)
        case "faster": return ("good", 5)
        case "fast": return ("good", 4)
        case "slow": return ("good", 2)
        case "slower": return ("good", 1)
        case "veryslow", "placebo": return ("good", 0)
        default: return ("good", 3)  // medium
        }
    }

    // MARK: Writing

    private func checkWritable() throws(MediaError) {
        switch state {
        case .writing: return
        case .finished: throw MediaError(.invalidArgument, "\(displayName): already finished")
        case .closed: throw MediaError(.invalidArgument, "\(displayName): already closed")
        case .failed: throw MediaError(.invalidArgument, "\(displayName): an earlier write failed")
        }
    }

    private func fail(_ error: FFError) -> MediaError {
        state = .failed
        return MediaError.writing(displayName, error, fallback: error.operation.hasPrefix("encoding") ? .encoderFailed : .muxFailed)
    }

    /// Encodes one frame; `frame.pts` is kept exactly (VFR stays VFR). Frames of another size or
    /// pixel format are converted first.
    public func write(_ frame: VideoFrame) throws(MediaError) {
        try checkWritable()
        do throws(FFError) {
            let input = try encoderInput(for: frame)
            var pts = rescale(frame.pts, from: sourceTimeBase, to: encoderTimeBase)
            if let last = lastPTS, pts <= last { pts = last + 1 }
            lastPTS = pts
            input.pointer.pointee.pts = pts
            input.pointer.pointee.pict_type = AV_PICTURE_TYPE_NONE
            let duration = frame.duration > 0 ? rescale(frame.duration, from: sourceTimeBase, to: encoderTimeBase) : defaultDuration
            durations[pts] = max(1, duration)
            if case .failed(let error) = video.send(input) { throw error }
            try drainVideo()
            bytesWritten = output.position
        } catch {
            throw fail(error)
        }
    }

    /// The frame as the encoder wants it: a new reference when it already fits, else a converted copy.
    private func encoderInput(for frame: VideoFrame) throws(FFError) -> FrameRef {
        var src = frame.frame
        if let full = cropsSource, src.width == full.width, src.height == full.height {
            // The last row or column goes: the same buffers, a smaller picture (no resampling).
            src = try src.clone()
            src.pointer.pointee.width = Int32(width)
            src.pointer.pointee.height = Int32(height)
        }
        let sameFormat = src.format == encoderFormat
            || (src.format == AV_PIX_FMT_YUVJ420P && encoderFormat == AV_PIX_FMT_YUV420P)
            || (src.format == AV_PIX_FMT_YUV420P && encoderFormat == AV_PIX_FMT_YUVJ420P)
        let srcFull = src.fullRange
        if sameFormat && src.width == width && src.height == height && (isRGBFormat(encoderFormat) || srcFull == encoderFullRange) {
            let ref = try src.clone()
            ref.pointer.pointee.format = encoderFormat.rawValue
            return ref
        }
        let dst = try FrameRef(width: width, height: height, format: encoderFormat)
        let copyFrom = src.pointer.pointee
        dst.pointer.pointee.sample_aspect_ratio = copyFrom.sample_aspect_ratio
        let downscale = src.width > width || src.height > height
        let setup = Scaler.Setup(
            srcWidth: src.width, srcHeight: src.height, srcFormat: src.format.rawValue,
            dstWidth: width, dstHeight: height, dstFormat: encoderFormat.rawValue,
            flags: (downscale ? SWS_AREA : SWS_BICUBIC) | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INP | SWS_FULL_CHR_H_INT,
            srcMatrix: ColorMath.matrix(of: src), srcFullRange: isRGBFormat(src.format) || srcFull,
            dstMatrix: encoderMatrix, dstFullRange: encoderFullRange)
        try scaler.scale(src, into: dst, setup: setup)
        return dst
    }

    private func drainVideo() throws(FFError) {
        while true {
            switch video.receive(into: packet) {
            case .ok:
                let pts = packet.pointer.pointee.pts
                if let d = durations.removeValue(forKey: pts) { packet.pointer.pointee.duration = d }
                if packet.pointer.pointee.duration <= 0 { packet.pointer.pointee.duration = defaultDuration }
                try output.write(packet, stream: videoStream, from: encoderTimeBase)
            case .again, .endOfStream:
                return
            case .failed(let error):
                throw error
            }
        }
    }

    /// Copies or transcodes one audio packet from the `audioFrom` reader. Ignored when the writer has no audio.
    public func write(_ packet: EncodedPacket) throws(MediaError) {
        try checkWritable()
        guard let audio else { return }
        do throws(FFError) {
            try audio.write(packet)
            bytesWritten = output.position
        } catch {
            throw fail(error)
        }
    }

    /// Flushes the encoders, writes the trailer and closes the file.
    public func finish() throws(MediaError) {
        try checkWritable()
        do throws(FFError) {
            if case .failed(let error) = video.send(nil as FrameRef?) { throw error }
            try drainVideo()
            try audio?.finish()
            try output.writeTrailer()
            bytesWritten = output.position   // a pipe's total; a file's is read back below (faststart moves bytes)
            try output.closeFile()
        } catch {
            let mapped = fail(error)
            close()
            throw mapped
        }
        state = .finished
        if path != "pipe:1", let size = fileSize(atPath: path) { bytesWritten = size }
    }

    /// Abandons the file: closes it without a trailer. The caller deletes it.
    public func close() {
        if state == .finished || state == .closed { return }
        state = .closed
        try? output.closeFile()
    }
}

