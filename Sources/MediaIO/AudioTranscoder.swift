import CFFmpeg

/// Owns a SwrContext.
final class Resampler {
    let pointer: OpaquePointer
    let inFormat: Int32, inRate: Int32, inChannels: Int32

    init(from frame: FrameRef, to encoder: UnsafeMutablePointer<AVCodecContext>) throws(FFError) {
        var inLayout = AVChannelLayout()
        defer { av_channel_layout_uninit(&inLayout) }
        let f = frame.pointer
        if f.pointee.ch_layout.order == AV_CHANNEL_ORDER_UNSPEC || f.pointee.ch_layout.nb_channels == 0 {
            av_channel_layout_default(&inLayout, max(1, f.pointee.ch_layout.nb_channels))
        } else {
            try ffCheck(av_channel_layout_copy(&inLayout, &f.pointee.ch_layout), "reading the channel layout")
        }
        var ctx: OpaquePointer? = nil
        try ffCheck(swr_alloc_set_opts2(&ctx, &encoder.pointee.ch_layout, encoder.pointee.sample_fmt, encoder.pointee.sample_rate,
                                        &inLayout, AVSampleFormat(f.pointee.format), f.pointee.sample_rate, 0, nil),
                    "setting up the resampler")
        guard let made = ctx else { throw FFError(FFCode.noMemory, "setting up the resampler") }
        pointer = made
        inFormat = f.pointee.format
        inRate = f.pointee.sample_rate
        inChannels = inLayout.nb_channels
        try ffCheck(swr_init(made), "setting up the resampler")
    }

    func matches(_ frame: FrameRef) -> Bool {
        let f = frame.pointer.pointee
        return f.format == inFormat && f.sample_rate == inRate && max(1, f.ch_layout.nb_channels) == inChannels
    }

    deinit {
        var ctx: OpaquePointer? = pointer
        swr_free(&ctx)
    }
}

/// Owns an AVAudioFifo.
final class AudioFifo {
    let pointer: OpaquePointer

    init(format: AVSampleFormat, channels: Int32) throws(FFError) {
        guard let fifo = av_audio_fifo_alloc(format, channels, 4096) else {
            throw FFError(FFCode.noMemory, "allocating the audio buffer")
        }
        pointer = fifo
    }

    var count: Int { Int(av_audio_fifo_size(pointer)) }

    func write(_ frame: FrameRef, samples: Int) throws(FFError) {
        let written = try ffCheck(stylize_fifo_write_frame(pointer, frame.pointer, Int32(samples)), "buffering audio")
        if written < samples { throw FFError(FFCode.noMemory, "buffering audio") }
    }

    func read(into frame: FrameRef, samples: Int) throws(FFError) -> Int {
        Int(try ffCheck(stylize_fifo_read_frame(pointer, frame.pointer, Int32(samples)), "reading buffered audio"))
    }

    deinit { av_audio_fifo_free(pointer) }
}

/// Decodes the input's audio packets, resamples to what the encoder takes, re-frames them to the
/// encoder's frame size through a FIFO, encodes, and hands packets to the output file.
final class AudioTranscoder {
    private let decoder: CodecContext
    let encoder: CodecContext
    private let output: OutputContainer
    private let streamIndex: Int32
    private let fifo: AudioFifo
    private var resampler: Resampler?
    private var scratch: FrameRef?
    private var scratchCapacity = 0
    private var nextPTS: Int64?
    private let encoderTimeBase: AVRational
    private let chunk: Int
    private let packet: PacketRef
    /// Audio packets that failed to decode (skipped; the encoder just gets fewer samples).
    private(set) var decodeErrors = 0

    /// Whether the container stores negative timestamps (MP4/MOV edit lists). Where it cannot, the audio
    /// starts late by the encoder's priming (a few ms) instead of the muxer shifting every stream.
    private let allowNegative: Bool

    init(parameters: CodecParameters, inputTimeBase: AVRational, encoderCodec: UnsafePointer<AVCodec>,
         output: OutputContainer, allowNegative: Bool) throws(FFError) {
        self.allowNegative = allowNegative
        decoder = try CodecContext.decoder(for: parameters.pointer, timeBase: inputTimeBase)
        try decoder.open()

        encoder = try CodecContext(codec: encoderCodec)
        let enc = encoder.pointer
        let inRate = max(Int32(1), parameters.pointer.pointee.sample_rate)
        let inChannels = max(Int32(1), parameters.pointer.pointee.ch_layout.nb_channels)

        // Sample format: the encoder's first choice.
        enc.pointee.sample_fmt = encoderCodec.pointee.sample_fmts?.pointee ?? AV_SAMPLE_FMT_FLTP

        // Sample rate: the input's when allowed, else the next higher allowed one, else the highest.
        var rate = inRate
        if let rates = encoderCodec.pointee.supported_samplerates {
            var allowed: [Int32] = []
            var i = 0
            while rates[i] != 0 { allowed.append(rates[i]); i += 1 }
            if !allowed.isEmpty && !allowed.contains(inRate) {
                rate = allowed.filter { $0 >= inRate }.min() ?? allowed.max()!
            }
        }
        enc.pointee.sample_rate = rate

        // Channel layout: the input's channel count in a layout the encoder lists.
        var layout = AVChannelLayout()
        let inLayout = parameters.pointer.pointee.ch_layout
        if inLayout.order == AV_CHANNEL_ORDER_NATIVE {
            withUnsafePointer(to: parameters.pointer.pointee.ch_layout) { _ = av_channel_layout_copy(&layout, $0) }
        } else {
            av_channel_layout_default(&layout, inChannels)
        }
        if let allowed = encoderCodec.pointee.ch_layouts {
            var i = 0
            var exact: AVChannelLayout? = nil
            var sameCount: AVChannelLayout? = nil
            while allowed[i].nb_channels != 0 {
                var candidate = allowed[i]
                if av_channel_layout_compare(&candidate, &layout) == 0 { exact = candidate }
                if sameCount == nil && candidate.nb_channels == layout.nb_channels { sameCount = candidate }
                i += 1
            }
            if exact == nil {
                av_channel_layout_uninit(&layout)
                if var pick = sameCount {
                    _ = av_channel_layout_copy(&layout, &pick)
                } else {
                    av_channel_layout_default(&layout, inChannels >= 2 ? 2 : 1)
                }
            }
        }
        _ = av_channel_layout_copy(&enc.pointee.ch_layout, &layout)
        av_channel_layout_uninit(&layout)

        let channels = Int64(enc.pointee.ch_layout.nb_channels)
        let isOpus = encoderCodec.pointee.id == AV_CODEC_ID_OPUS
        enc.pointee.bit_rate = isOpus ? min(48_000 * channels, 256_000) : min(max(64_000 * channels, 96_000), 320_000)
        encoderTimeBase = AVRational(num: 1, den: rate)
        enc.pointee.time_base = encoderTimeBase
        enc.pointee.strict_std_compliance = FF_COMPLIANCE_EXPERIMENTAL  // only matters for the native Opus encoder
        if output.needsGlobalHeader { enc.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER }
        try encoder.open()

        let st = try output.addStream()
        try ffCheck(avcodec_parameters_from_context(st.pointee.codecpar, enc), "configuring the audio stream")
        st.pointee.time_base = encoderTimeBase
        streamIndex = st.pointee.index
        self.output = output
        chunk = enc.pointee.frame_size > 0 ? Int(enc.pointee.frame_size) : 1024
        fifo = try AudioFifo(format: enc.pointee.sample_fmt, channels: enc.pointee.ch_layout.nb_channels)
        packet = try PacketRef()
    }

    /// Decodes one input packet and encodes whatever whole frames that makes available.
    func push(_ input: EncodedPacket) throws(FFError) {
        var status = decoder.send(input.packet)
        var tries = 0
        while case .again = status, tries < 64 {
            try drainDecoder()
            status = decoder.send(input.packet)
            tries += 1
        }
        if case .failed = status { decodeErrors += 1 }
        try drainDecoder()
        try encodeBuffered(final: false)
    }

    /// Flushes decoder, resampler, FIFO (a last short frame) and encoder.
    func finish() throws(FFError) {
        _ = decoder.send(nil as PacketRef?)
        try drainDecoder()
        if let swr = resampler, let out = scratch {
            while true {
                let n = try ffCheck(stylize_swr_convert_frames(swr.pointer, out.pointer, Int32(scratchCapacity), nil),
                                    "resampling audio")
                if n <= 0 { break }
                try fifo.write(out, samples: Int(n))
            }
        }
        try encodeBuffered(final: true)
        _ = encoder.send(nil as FrameRef?)
        try drainEncoder()
    }

    private func drainDecoder() throws(FFError) {
        while true {
            let frame = try FrameRef()
            switch decoder.receive(into: frame) {
            case .ok:
                try resample(frame)
            case .again, .endOfStream:
                return
            case .failed:
                decodeErrors += 1
                return
            }
        }
    }

    private func resample(_ frame: FrameRef) throws(FFError) {
        if nextPTS == nil {
            let ts = frame.pointer.pointee.best_effort_timestamp
            var start = ts == noPTS ? 0 : rescale(ts, from: decoder.pointer.pointee.pkt_timebase, to: encoderTimeBase)
            if !allowNegative { start = max(start, Int64(encoder.pointer.pointee.initial_padding)) }
            nextPTS = start
        }
        if let swr = resampler, !swr.matches(frame) {
            resampler = nil  // the input changed format mid-stream: start a new resampler
        }
        if resampler == nil { resampler = try Resampler(from: frame, to: encoder.pointer) }
        let swr = resampler!
        let capacity = Int(swr_get_out_samples(swr.pointer, Int32(frame.sampleCount))) + 32
        if scratch == nil || scratchCapacity < capacity {
            let buffer = try FrameRef()
            buffer.pointer.pointee.format = encoder.pointer.pointee.sample_fmt.rawValue
            buffer.pointer.pointee.sample_rate = encoder.pointer.pointee.sample_rate
            buffer.pointer.pointee.nb_samples = Int32(capacity)
            try ffCheck(av_channel_layout_copy(&buffer.pointer.pointee.ch_layout, &encoder.pointer.pointee.ch_layout),
                        "setting up audio buffers")
            try ffCheck(av_frame_get_buffer(buffer.pointer, 0), "allocating audio buffers")
            scratch = buffer
            scratchCapacity = capacity
        }
        let n = try ffCheck(stylize_swr_convert_frames(swr.pointer, scratch!.pointer, Int32(scratchCapacity), frame.pointer),
                            "resampling audio")
        if n > 0 { try fifo.write(scratch!, samples: Int(n)) }
    }

    private func encodeBuffered(final: Bool) throws(FFError) {
        while fifo.count >= chunk || (final && fifo.count > 0) {
            let size = min(chunk, fifo.count)
            let frame = try FrameRef()
            let f = frame.pointer
            f.pointee.format = encoder.pointer.pointee.sample_fmt.rawValue
            f.pointee.sample_rate = encoder.pointer.pointee.sample_rate
            f.pointee.nb_samples = Int32(size)
            try ffCheck(av_channel_layout_copy(&f.pointee.ch_layout, &encoder.pointer.pointee.ch_layout), "setting up an audio frame")
            try ffCheck(av_frame_get_buffer(f, 0), "allocating an audio frame")
            let got = try fifo.read(into: frame, samples: size)
            f.pointee.nb_samples = Int32(got)
            f.pointee.pts = nextPTS ?? 0
            nextPTS = (nextPTS ?? 0) + Int64(got)
            if case .failed(let error) = encoder.send(frame) { throw error }
            try drainEncoder()
        }
    }

    private func drainEncoder() throws(FFError) {
        while true {
            switch encoder.receive(into: packet) {
            case .ok:
                try output.write(packet, stream: streamIndex, from: encoderTimeBase)
            case .again, .endOfStream:
                return
            case .failed(let error):
                throw error
            }
        }
    }
}
