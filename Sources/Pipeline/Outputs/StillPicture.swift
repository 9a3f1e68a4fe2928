import MediaIO

/// What the still-picture jobs (a network's `ImageStylization`, optimization's `StyleOptimization`)
/// share: reading a picture, and writing the result complete or not at all.
enum StillPicture {
    /// The first picture of `path`: a still, or a video's first frame.
    static func read(_ path: String) throws(PipelineError) -> VideoFrame {
        do throws(MediaError) {
            guard let picture = try MediaReader(path: path).nextVideoFrame() else {
                throw MediaError(.noVideoStream, "\(path): holds no picture")
            }
            return picture
        } catch { throw PipelineError(error) }
    }

    /// The format `path`'s extension asks for.
    static func format(of path: String) throws(PipelineError) -> StillImageWriter.Format {
        guard let format = StillImageWriter.Format(path: path) else {
            throw PipelineError(.options, "\(path): pictures are written as .png or .jpg")
        }
        return format
    }

    /// Writes `picture` (made by `make`) to `output`'s temporary file and gives it its name;
    /// on any failure nothing is left.
    static func write(to output: OutputFile, format: StillImageWriter.Format,
                      _ make: () throws(PipelineError) -> VideoFrame) throws(PipelineError) {
        do throws(PipelineError) {
            let picture = try make()
            do throws(MediaError) { try StillImageWriter.write(picture, to: output.temporaryPath, format: format) } catch {
                throw PipelineError(error)
            }
        } catch {
            output.discard()
            throw error
        }
        try output.commit()
    }
}
