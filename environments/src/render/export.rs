//! PNG and GIF files, written atomically (temp file + rename) so a crash never leaves half a file.

use super::Frame;
use crate::error::{EnvError, Result};
use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().ok_or_else(|| EnvError::Io(format!("{}: not a file path", path.display())))?;
    let tmp = dir.join(format!(".{}.tmp{}", name.to_string_lossy(), std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        EnvError::Io(format!("cannot write {}: {e}", path.display()))
    })
}

/// Encodes one frame as PNG and writes it to `path`.
pub fn save_png(frame: &Frame, path: &Path) -> Result<()> {
    write_atomically(path, &encode_png(frame)?)
}

/// How hard [`encode_png_with`] compresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PngCompression {
    /// About a millisecond for a 960x600 picture: for frames exported in bulk.
    Fast,
    /// zlib level 9 without row filters: a tenth of `Fast`'s size for plots (large flat areas,
    /// where filters only add noise), at about 60 ms for a 960x600 picture.
    Best,
}

/// Encodes one frame as PNG bytes, fast (see [`PngCompression::Fast`]).
pub fn encode_png(frame: &Frame) -> Result<Vec<u8>> {
    encode_png_with(frame, PngCompression::Fast)
}

/// Encodes one frame as PNG bytes with the given compression.
pub fn encode_png_with(frame: &Frame, compression: PngCompression) -> Result<Vec<u8>> {
    check_frame(frame)?;
    let mut bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut bytes, frame.width as u32, frame.height as u32);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        if compression == PngCompression::Best {
            enc.set_compression(png::Compression::Best);
            enc.set_filter(png::FilterType::NoFilter);
        }
        let mut w = enc.write_header().map_err(|e| EnvError::Io(e.to_string()))?;
        w.write_image_data(&frame.pixels).map_err(|e| EnvError::Io(e.to_string()))?;
    }
    Ok(bytes)
}

/// Writes frames as a looping animated GIF at `fps` frames per second.
pub fn save_gif(frames: &[Frame], fps: u32, path: &Path) -> Result<()> {
    write_atomically(path, &encode_gif(frames, fps)?)
}

/// Saves frames by the file's extension: `.gif` an animation at `fps`; `.png` one picture, the frame
/// itself when there is one, else the first and last frames side by side.
pub fn save_frames(frames: &[Frame], fps: u32, path: &Path) -> Result<()> {
    let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("gif") => save_gif(frames, fps, path),
        Some("png") => match frames {
            [] => Err(EnvError::Io(format!("{}: no frames to save", path.display()))),
            [frame] => save_png(frame, path),
            [first, .., last] => save_png(&side_by_side(first, last)?, path),
        },
        _ => Err(EnvError::Unsupported(format!(
            "{}: cannot tell the format from the extension; use .gif (animation) or .png (picture)",
            path.display()
        ))),
    }
}

/// Two frames of the same size, left and right in one.
fn side_by_side(left: &Frame, right: &Frame) -> Result<Frame> {
    check_frame(left)?;
    check_frame(right)?;
    if (left.width, left.height) != (right.width, right.height) {
        return Err(EnvError::Io("frames to put side by side must have the same size".into()));
    }
    let row = left.width * 3;
    let pixels = left.pixels.chunks_exact(row).zip(right.pixels.chunks_exact(row)).flat_map(|(l, r)| [l, r]).flatten();
    Ok(Frame { width: left.width * 2, height: left.height, pixels: pixels.copied().collect() })
}

/// A frame whose pixel buffer does not match its size would make the encoders panic.
fn check_frame(frame: &Frame) -> Result<()> {
    if frame.pixels.len() != frame.width * frame.height * 3 {
        return Err(EnvError::Io(format!(
            "a {}x{} frame needs {} bytes of pixels, not {}",
            frame.width,
            frame.height,
            frame.width * frame.height * 3,
            frame.pixels.len()
        )));
    }
    Ok(())
}

/// Encodes frames as animated GIF bytes; every frame must have the first frame's size.
///
/// Each frame gets its own palette: exact up to 256 colours, else its most frequent colours plus a
/// colour cube. For these pictures that takes a few
/// milliseconds per 600x400 frame, LZW compression included, against ~6 ms for NeuQuant's alone.
pub fn encode_gif(frames: &[Frame], fps: u32) -> Result<Vec<u8>> {
    let first = frames.first().ok_or_else(|| EnvError::Io("a GIF needs at least one frame".into()))?;
    let too_big = || EnvError::Io(format!("a GIF is at most 65535x65535, not {}x{}", first.width, first.height));
    let w = u16::try_from(first.width).map_err(|_| too_big())?;
    let h = u16::try_from(first.height).map_err(|_| too_big())?;
    let delay = (100 / fps.max(1)).max(2) as u16; // GIF delays are in hundredths of a second
    let mut bytes = Vec::new();
    {
        let mut enc = gif::Encoder::new(&mut bytes, w, h, &[]).map_err(|e| EnvError::Io(e.to_string()))?;
        enc.set_repeat(gif::Repeat::Infinite).map_err(|e| EnvError::Io(e.to_string()))?;
        for frame in frames {
            if frame.width != first.width || frame.height != first.height {
                return Err(EnvError::Io("all GIF frames must have the same size".into()));
            }
            check_frame(frame)?;
            let (indices, palette) = quantize(&frame.pixels);
            let mut f = gif::Frame::from_palette_pixels(w, h, indices, palette, None);
            f.delay = delay;
            enc.write_frame(&f).map_err(|e| EnvError::Io(e.to_string()))?;
        }
    }
    Ok(bytes)
}

/// Colours kept exactly when a frame has more than 256; the rest of the palette is a colour cube.
const KEPT_COLOURS: usize = 256 - CUBE_SIDE * CUBE_SIDE * CUBE_SIDE;
const CUBE_SIDE: usize = 5;

/// Palette indices and an RGB palette for one frame. With at most 256 colours (the classic-control
/// pictures: a few flat colours and their anti-aliasing blends) the palette is exact. Otherwise
/// the most frequent colours stay exact (the flat fills) and a 5x5x5 colour cube completes the
/// palette; every other colour takes its nearest entry.
fn quantize(pixels: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut colours = ColourTable::default();
    let ids: Vec<u32> =
        pixels.chunks_exact(3).map(|px| colours.count(u32::from_be_bytes([0, px[0], px[1], px[2]]))).collect();
    let rgb = |c: u32| [(c >> 16) as u8, (c >> 8) as u8, c as u8];
    if colours.keys.len() <= 256 {
        let palette = colours.keys.iter().flat_map(|&c| rgb(c)).collect();
        return (ids.into_iter().map(|id| id as u8).collect(), palette);
    }
    let mut by_frequency: Vec<usize> = (0..colours.keys.len()).collect();
    by_frequency.sort_unstable_by_key(|&id| std::cmp::Reverse(colours.counts[id]));
    let kept: Vec<[u8; 3]> = by_frequency[..KEPT_COLOURS].iter().map(|&id| rgb(colours.keys[id])).collect();
    let level = |i: usize| (i * 255 / (CUBE_SIDE - 1)) as u8;
    let mut palette: Vec<u8> = kept.iter().flatten().copied().collect();
    for i in 0..CUBE_SIDE * CUBE_SIDE * CUBE_SIDE {
        palette.extend_from_slice(&[level(i / 25), level(i / 5 % 5), level(i % 5)]);
    }
    let mut index_of = vec![0u8; colours.keys.len()];
    for (rank, &id) in by_frequency.iter().enumerate() {
        let colour = rgb(colours.keys[id]);
        index_of[id] = if rank < KEPT_COLOURS {
            rank as u8
        } else {
            let cube = colour.map(|c| (c as usize * (CUBE_SIDE - 1) + 127) / 255);
            let cube_index = KEPT_COLOURS + cube[0] * 25 + cube[1] * 5 + cube[2];
            let mut best = (distance(&colour, &cube.map(level)), cube_index);
            for (i, c) in kept.iter().enumerate() {
                best = best.min((distance(&colour, c), i));
            }
            best.1 as u8
        };
    }
    (ids.into_iter().map(|id| index_of[id as usize]).collect(), palette)
}

fn distance(a: &[u8; 3], b: &[u8; 3]) -> i32 {
    let d = |i: usize| (a[i] as i32 - b[i] as i32).pow(2);
    d(0) + d(1) + d(2)
}

/// The distinct colours of a frame (24-bit keys) with their pixel counts, in order of appearance:
/// open addressing, as a general hash map costs more than the rest of the GIF encoding.
#[derive(Default)]
struct ColourTable {
    /// Per slot: 0 when empty, else 1 + the colour's id.
    slots: Vec<u32>,
    keys: Vec<u32>,
    counts: Vec<u32>,
    last: Option<(u32, u32)>,
}

impl ColourTable {
    /// Counts one pixel of colour `key` and returns the colour's id.
    fn count(&mut self, key: u32) -> u32 {
        let id = match self.last {
            Some((last, id)) if last == key => id,
            _ => self.find_or_insert(key),
        };
        self.last = Some((key, id));
        self.counts[id as usize] += 1;
        id
    }

    fn find_or_insert(&mut self, key: u32) -> u32 {
        if self.keys.len() * 2 >= self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut slot = Self::hash(key) & mask;
        loop {
            match self.slots[slot] {
                0 => {
                    self.keys.push(key);
                    self.counts.push(0);
                    self.slots[slot] = self.keys.len() as u32;
                    return self.keys.len() as u32 - 1;
                }
                stored if self.keys[stored as usize - 1] == key => return stored - 1,
                _ => slot = (slot + 1) & mask,
            }
        }
    }

    fn grow(&mut self) {
        self.slots = vec![0; (self.slots.len() * 2).max(1024)];
        let mask = self.slots.len() - 1;
        for (id, &key) in self.keys.iter().enumerate() {
            let mut slot = Self::hash(key) & mask;
            while self.slots[slot] != 0 {
                slot = (slot + 1) & mask;
            }
            self.slots[slot] = id as u32 + 1;
        }
    }

    /// Fibonacci hashing: the high half of the product mixes every bit of the key.
    fn hash(key: u32) -> usize {
        ((key as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::classic;

    /// Decodes GIF bytes into RGB frames (palette applied) and the delay of the first.
    fn decode_gif(bytes: &[u8]) -> (Vec<Frame>, u16) {
        let mut options = gif::DecodeOptions::new();
        options.set_color_output(gif::ColorOutput::RGBA);
        let mut decoder = options.read_info(bytes).expect("a valid GIF");
        let (w, h) = (decoder.width() as usize, decoder.height() as usize);
        let mut frames = Vec::new();
        let mut delay = 0;
        while let Some(frame) = decoder.read_next_frame().expect("a valid frame") {
            assert_eq!((frame.width as usize, frame.height as usize), (w, h));
            delay = frame.delay;
            let pixels = frame.buffer.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
            frames.push(Frame { width: w, height: h, pixels });
        }
        (frames, delay)
    }

    fn max_channel_difference(a: &Frame, b: &Frame) -> u8 {
        a.pixels.iter().zip(&b.pixels).map(|(x, y)| x.abs_diff(*y)).max().unwrap_or(0)
    }

    #[test]
    fn gif_round_trip_is_exact_for_classic_pictures() {
        let frames: Vec<Frame> =
            (0..4).map(|i| classic::cartpole(&[0.3 * i as f64, 0.0, 0.1 * i as f64, 0.0])).collect();
        let (decoded, delay) = decode_gif(&encode_gif(&frames, 50).unwrap());
        assert_eq!(decoded.len(), 4);
        assert_eq!(delay, 2);
        assert_eq!(decoded, frames);
    }

    #[test]
    fn gif_keeps_flat_colours_of_a_many_coloured_frame() {
        // The torque arrow's blends push Pendulum's picture past 256 colours.
        let frame = classic::pendulum(0.7, Some(1.5));
        let (decoded, _) = decode_gif(&encode_gif(std::slice::from_ref(&frame), 30).unwrap());
        let flat: [[u8; 3]; 3] = [[255, 255, 255], [204, 77, 77], [0, 0, 0]];
        let pixels = |f: &Frame| f.pixels.chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect::<Vec<_>>();
        let (original, got) = (pixels(&frame), pixels(&decoded[0]));
        let mut equal = 0;
        for (o, g) in original.iter().zip(&got) {
            if flat.contains(o) {
                assert_eq!(o, g);
            }
            equal += usize::from(o == g);
        }
        assert!(equal as f64 > 0.995 * original.len() as f64, "{equal} of {}", original.len());
        assert!(max_channel_difference(&decoded[0], &frame) <= 40);
    }

    #[test]
    fn gif_round_trip_of_a_gradient_is_close() {
        // 64k colours, each once: the colour cube carries them.
        let (w, h) = (256, 256);
        let pixels = (0..h).flat_map(|y| (0..w).flat_map(move |x| [x as u8, y as u8, ((x + y) / 2) as u8])).collect();
        let frame = Frame { width: w, height: h, pixels };
        let (decoded, delay) = decode_gif(&encode_gif(&[frame.clone(), frame.clone()], 10).unwrap());
        assert_eq!((decoded.len(), delay), (2, 10));
        // The cube's spacing bounds the error: at most 32 per channel, so a squared distance of 3 * 32^2.
        let worst = decoded[1].pixels.chunks_exact(3).zip(frame.pixels.chunks_exact(3));
        let worst = worst.map(|(a, b)| a.iter().zip(b).map(|(&x, &y)| (x as i32 - y as i32).pow(2)).sum::<i32>()).max();
        assert!(worst.unwrap_or(0) <= 3 * 32 * 32, "{worst:?}");
    }

    #[test]
    fn gif_rejects_bad_frames() {
        assert!(encode_gif(&[], 30).is_err());
        let small = Frame::filled(4, 4, [1, 2, 3]);
        assert!(encode_gif(&[small.clone(), Frame::filled(5, 4, [1, 2, 3])], 30).is_err());
        let broken = Frame { width: 4, height: 4, pixels: vec![0; 5] };
        assert!(encode_gif(&[broken], 30).is_err());
        assert!(encode_gif(&[Frame::filled(70_000, 1, [0, 0, 0])], 30).is_err());
    }

    fn decode_png(bytes: &[u8]) -> Frame {
        let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().expect("a valid PNG");
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).expect("a valid frame");
        assert_eq!(info.color_type, png::ColorType::Rgb);
        buf.truncate(info.buffer_size());
        Frame { width: info.width as usize, height: info.height as usize, pixels: buf }
    }

    #[test]
    fn png_compressions_keep_the_pixels_and_best_is_smaller() {
        // A plot-like picture: white, with a few flat shapes.
        let frame = classic::cartpole(&[0.5, 0.0, 0.1, 0.0]);
        let fast = encode_png_with(&frame, PngCompression::Fast).unwrap();
        let best = encode_png_with(&frame, PngCompression::Best).unwrap();
        assert_eq!(encode_png(&frame).unwrap(), fast);
        assert_eq!(decode_png(&fast), frame);
        assert_eq!(decode_png(&best), frame);
        assert!(best.len() < fast.len(), "best {} bytes, fast {}", best.len(), fast.len());
        let broken = Frame { width: 2, height: 2, pixels: vec![0; 3] };
        assert!(encode_png_with(&broken, PngCompression::Best).is_err());
    }

    #[test]
    fn save_frames_picks_the_format_by_extension() {
        let dir = std::env::temp_dir().join(format!("limbic-export-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let frames = [Frame::filled(3, 2, [255, 0, 0]), Frame::filled(3, 2, [0, 0, 255])];

        save_frames(&frames, 30, &dir.join("run.GIF")).unwrap();
        let (decoded, _) = decode_gif(&std::fs::read(dir.join("run.GIF")).unwrap());
        assert_eq!(decoded, frames);

        save_frames(&frames, 30, &dir.join("run.png")).unwrap();
        let decoder = png::Decoder::new(std::fs::File::open(dir.join("run.png")).unwrap());
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (6, 2));
        assert_eq!(&buf[..6], &[255, 0, 0, 255, 0, 0]);
        assert_eq!(&buf[15..18], &[0, 0, 255]);

        let err = save_frames(&frames, 30, &dir.join("run.mp4")).unwrap_err();
        assert!(err.to_string().contains(".gif"), "{err}");
        assert!(save_frames(&frames, 30, &dir.join("run")).is_err());
        assert!(save_frames(&[], 30, &dir.join("empty.png")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
