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

/// Encodes one frame as PNG bytes.
pub fn encode_png(frame: &Frame) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut bytes, frame.width as u32, frame.height as u32);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().map_err(|e| EnvError::Io(e.to_string()))?;
        w.write_image_data(&frame.pixels).map_err(|e| EnvError::Io(e.to_string()))?;
    }
    Ok(bytes)
}

/// Writes frames as a looping animated GIF at `fps` frames per second.
pub fn save_gif(frames: &[Frame], fps: u32, path: &Path) -> Result<()> {
    write_atomically(path, &encode_gif(frames, fps)?)
}

/// Encodes frames as animated GIF bytes; every frame must have the first frame's size.
pub fn encode_gif(frames: &[Frame], fps: u32) -> Result<Vec<u8>> {
    let first = frames.first().ok_or_else(|| EnvError::Io("a GIF needs at least one frame".into()))?;
    let (w, h) = (first.width as u16, first.height as u16);
    let delay = (100 / fps.max(1)).max(2) as u16; // GIF delays are in hundredths of a second
    let mut bytes = Vec::new();
    {
        let mut enc = gif::Encoder::new(&mut bytes, w, h, &[]).map_err(|e| EnvError::Io(e.to_string()))?;
        enc.set_repeat(gif::Repeat::Infinite).map_err(|e| EnvError::Io(e.to_string()))?;
        for frame in frames {
            if frame.width != first.width || frame.height != first.height {
                return Err(EnvError::Io("all GIF frames must have the same size".into()));
            }
            let mut f = gif::Frame::from_rgb_speed(w, h, &frame.pixels, 10);
            f.delay = delay;
            enc.write_frame(&f).map_err(|e| EnvError::Io(e.to_string()))?;
        }
    }
    Ok(bytes)
}
