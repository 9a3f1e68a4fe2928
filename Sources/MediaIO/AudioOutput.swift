import CFFmpeg

/// A file's audio stream in an output being written: the source's packets copied when the
/// container takes the codec, else transcoded (AAC; Opus for WebM). Shared by the encoding writer
/// and the stream-copy writer. Confined to the writer's thread.
final class AudioOutput {
    private enum Route {
        case copy(stream: Int32)
        case transcode(AudioTranscoder)
    }

    private let route: Route
    private let output: OutputContainer
    private let negativeTimestampsAllowed: Bool
    /// For stream copy into a container without negative timestamps: how far the audio moves later.
    private var copyShift: Int64?
    /// The last copied packet's dts (in the source's time base).
    private var lastDTS: Int64?

    /// nil when there is no audio to write: no reader, a reader without audio, or a container without audio.
    /// Adds the stream to `output` (before its header is written).
    init?(from reader: MediaReader?, format: UnsafePointer<AVOutputFormat>, ext: String, output: OutputContainer,
          display: String) throws(MediaError) {
        guard let reader, let params = reader.audioParameters, format.pointee.audio_codec != AV_CODEC_ID_NONE else { return nil }
        self.output = output
        negativeTimestampsAllowed = format.pointee.flags & AVFMT_TS_NEGATIVE != 0
        if AudioOutput.canCopy(params.codecID, into: format) {
            do {
                let ast = try output.addStream()
                try ffCheck(avcodec_parameters_copy(ast.pointee.codecpar, params.pointer), "copying the audio stream")
                ast.pointee.codecpar.pointee.codec_tag = 0
                ast.pointee.time_base = reader.audioTimeBase
                route = .copy(stream: ast.pointee.index)
            } catch {
                throw MediaError(.internalFailure, "\(display): \(error)")
            }
        } else {
            guard avcodec_find_decoder(params.codecID) != nil else {
                throw MediaError(.unsupportedCodec,
                                 "\(reader.path): no decoder for the \(codecName(params.codecID)) audio codec, and \(ext) cannot hold it as is")
            }
            let encoderCodec = try AudioOutput.encoder(for: format, ext: ext, display: display)
            do {
                route = .transcode(try AudioTranscoder(parameters: params, inputTimeBase: reader.audioTimeBase,
                                                       encoderCodec: encoderCodec, output: output,
                                                       allowNegative: negativeTimestampsAllowed))
            } catch {
                throw MediaError(.encoderFailed, "\(display): could not set up the audio encoder (\(error))")
            }
        }
    }

    /// Copies or transcodes one packet of the reader's audio.
    func write(_ packet: EncodedPacket) throws(FFError) {
        switch route {
        case .copy(let stream):
            let copy = try packet.packet.clone()
            let p = copy.pointer
            if !negativeTimestampsAllowed {
                if copyShift == nil {
                    let first = p.pointee.dts != noPTS ? p.pointee.dts : p.pointee.pts
                    copyShift = first == noPTS ? 0 : max(0, -first)
                }
                if let shift = copyShift, shift > 0 {
                    if p.pointee.pts != noPTS { p.pointee.pts += shift }
                    if p.pointee.dts != noPTS { p.pointee.dts += shift }
                }
            }
            // Muxers refuse a dts that does not increase (NUT, MP4); joined or looped sources have
            // them (two packets at one millisecond where Matroska rounded): one tick later, as ffmpeg does.
            if p.pointee.dts != noPTS {
                if let last = lastDTS, p.pointee.dts <= last {
                    p.pointee.dts = last + 1
                    if p.pointee.pts != noPTS && p.pointee.pts < p.pointee.dts { p.pointee.pts = p.pointee.dts }
                }
                lastDTS = p.pointee.dts
            }
            try output.write(copy, stream: stream, from: packet.timeBase)
        case .transcode(let transcoder):
            try transcoder.push(packet)
        }
    }

    /// Flushes a transcoder's last samples.
    func finish() throws(FFError) {
        if case .transcode(let transcoder) = route { try transcoder.finish() }
    }

    /// Stream copy when the muxer accepts the codec, except where FFmpeg 5.1's MP4 support of it is
    /// experimental or players hardly know it there.
    static func canCopy(_ codec: AVCodecID, into format: UnsafePointer<AVOutputFormat>) -> Bool {
        guard avformat_query_codec(format, codec, FF_COMPLIANCE_NORMAL) == 1 else { return false }
        let name = String(cString: format.pointee.name)
        if ["mp4", "mov", "ipod", "3gp", "3g2", "psp", "ismv", "f4v"].contains(name) {
            return codec != AV_CODEC_ID_VORBIS && codec != AV_CODEC_ID_FLAC
        }
        return true
    }

    private static func encoder(for format: UnsafePointer<AVOutputFormat>, ext: String,
                                     display: String) throws(MediaError) -> UnsafePointer<AVCodec> {
        if ext == "webm" || format.pointee.audio_codec == AV_CODEC_ID_OPUS {
            if let codec = avcodec_find_encoder_by_name("libopus") ?? avcodec_find_encoder(AV_CODEC_ID_OPUS) { return codec }
        }
        if MediaWriter.h264Containers.contains(ext) || avformat_query_codec(format, AV_CODEC_ID_AAC, FF_COMPLIANCE_NORMAL) == 1 {
            if let codec = avcodec_find_encoder_by_name("aac") { return codec }
        }
        guard let codec = avcodec_find_encoder(format.pointee.audio_codec) else {
            throw MediaError(.unsupportedCodec, "\(display): this FFmpeg has no \(codecName(format.pointee.audio_codec)) encoder")
        }
        return codec
    }

}
