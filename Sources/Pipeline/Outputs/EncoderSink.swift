import MediaIO

/// A video file: pictures encoded, the source's audio copied or re-encoded, written under a
/// temporary name and given the real one only once complete (`OutputFile`).
public final class EncoderSink: FrameSink {
    private let writer: MediaWriter
    private let output: OutputFile
    private let stop: StopSignal

    /// `stop`: an abort that comes while the file is being finished still discards it.
    init(output: OutputFile, source: MediaFileSource, settings: EncoderSettings, stop: StopSignal) throws(PipelineError) {
        do throws(MediaError) {
            writer = try MediaWriter(path: output.temporaryPath, containerFrom: output.containerName, source: source.info.video,
                                     audioFrom: source.info.audio == nil ? nil : source.reader, settings: settings)
        } catch {
            output.discard()
            throw PipelineError(error)
        }
        self.output = output
        self.stop = stop
    }

    public var bytesWritten: Int64 { writer.bytesWritten }
    /// The picture size in the file (an odd side may have lost a row or column; `EncoderSettings.keepOddSize`).
    public var pictureSize: PictureSize { PictureSize(width: writer.width, height: writer.height) }

    public func write(_ frame: VideoFrame) throws(PipelineError) {
        do throws(MediaError) { try writer.write(frame) } catch { throw PipelineError(error) }
    }

    public func write(audio packet: EncodedPacket) throws(PipelineError) {
        do throws(MediaError) { try writer.write(packet) } catch { throw PipelineError(error) }
    }

    public func finish() throws(PipelineError) {
        do throws(MediaError) { try writer.finish() } catch { throw PipelineError(error) }
        if stop.state == .aborted { throw PipelineError(.aborted, "stopped; no output written") }
        try output.commit()
    }

    public func close() {
        writer.close()
        output.discard()   // a no-op once committed
    }
}
