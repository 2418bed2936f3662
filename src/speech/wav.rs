//! 16-bit PCM WAV, as espeak-ng writes it and as the modems play it: read,
//! written and brought to the modems' 8 kHz.

use rubato::{FftFixedInOut, Resampler};

/// What the modems play into a call: 8 kHz, mono, 16-bit PCM.
pub const CALL_RATE: u32 = 8_000;

/// Mono 16-bit PCM audio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wav {
    pub rate: u32,
    pub samples: Vec<i16>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WavError {
    #[error("not a WAV file: {0}")]
    NotWav(&'static str),
    #[error("the WAV is {0}, where mono 16-bit PCM was expected")]
    Format(String),
    #[error("the audio could not be resampled: {0}")]
    Resample(String),
}

impl Wav {
    /// Reads a RIFF WAV. The data chunk's size is not trusted: espeak-ng
    /// writing to a pipe can't know it and says "as much as there is".
    pub fn parse(bytes: &[u8]) -> Result<Wav, WavError> {
        if bytes.get(0..4) != Some(b"RIFF") || bytes.get(8..12) != Some(b"WAVE") {
            return Err(WavError::NotWav("no RIFF/WAVE header"));
        }
        let mut pos = 12;
        let mut format: Option<(u16, u16, u32, u16)> = None;
        while let Some(header) = bytes.get(pos..pos + 8) {
            let (id, size) = header.split_at(4);
            let size = u32::from_le_bytes(size.try_into().unwrap_or([0; 4])) as usize;
            let body_start = pos + 8;
            if id == b"fmt " {
                let f = bytes
                    .get(body_start..body_start + 16)
                    .ok_or(WavError::NotWav("the format chunk is cut short"))?;
                let u16_at = |i: usize| {
                    u16::from_le_bytes([
                        f.get(i).copied().unwrap_or(0),
                        f.get(i + 1).copied().unwrap_or(0),
                    ])
                };
                let rate = u32::from_le_bytes(
                    f.get(4..8)
                        .and_then(|b| b.try_into().ok())
                        .unwrap_or([0; 4]),
                );
                format = Some((u16_at(0), u16_at(2), rate, u16_at(14)));
            } else if id == b"data" {
                let (codec, channels, rate, bits) =
                    format.ok_or(WavError::NotWav("data before the format chunk"))?;
                if codec != 1 || channels != 1 || bits != 16 || rate == 0 {
                    return Err(WavError::Format(format!(
                        "codec {codec}, {channels} channels, {bits} bits at {rate} Hz"
                    )));
                }
                let end = body_start.saturating_add(size).min(bytes.len());
                let data = bytes.get(body_start..end).unwrap_or_default();
                let samples = data
                    .chunks_exact(2)
                    .map(|pair| {
                        i16::from_le_bytes([
                            pair.first().copied().unwrap_or(0),
                            pair.get(1).copied().unwrap_or(0),
                        ])
                    })
                    .collect();
                return Ok(Wav { rate, samples });
            }
            pos = body_start.saturating_add(size + size % 2);
        }
        Err(WavError::NotWav("no data chunk"))
    }

    /// The file, with its sizes filled in.
    pub fn to_bytes(&self) -> Vec<u8> {
        let data_len = u32::try_from(self.samples.len() * 2).unwrap_or(u32::MAX);
        let mut out = Vec::with_capacity(44 + self.samples.len() * 2);
        out.extend_from_slice(b"RIFF");
        out.extend_from_slice(&data_len.saturating_add(36).to_le_bytes());
        out.extend_from_slice(b"WAVEfmt ");
        out.extend_from_slice(&16u32.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes()); // PCM
        out.extend_from_slice(&1u16.to_le_bytes()); // mono
        out.extend_from_slice(&self.rate.to_le_bytes());
        out.extend_from_slice(&(self.rate * 2).to_le_bytes()); // bytes per second
        out.extend_from_slice(&2u16.to_le_bytes()); // block align
        out.extend_from_slice(&16u16.to_le_bytes());
        out.extend_from_slice(b"data");
        out.extend_from_slice(&data_len.to_le_bytes());
        for s in &self.samples {
            out.extend_from_slice(&s.to_le_bytes());
        }
        out
    }

    pub fn seconds(&self) -> f64 {
        self.samples.len() as f64 / f64::from(self.rate.max(1))
    }

    /// The same audio at `rate`, band-limited first so nothing above the
    /// new Nyquist frequency folds back as noise.
    pub fn resampled(&self, rate: u32) -> Result<Wav, WavError> {
        if rate == self.rate {
            return Ok(self.clone());
        }
        let fail = |e: &dyn std::fmt::Display| WavError::Resample(e.to_string());
        let mut resampler = FftFixedInOut::<f64>::new(self.rate as usize, rate as usize, 1024, 1)
            .map_err(|e| fail(&e))?;
        let input: Vec<f64> = self
            .samples
            .iter()
            .map(|s| f64::from(*s) / 32768.0)
            .collect();
        let mut output: Vec<f64> =
            Vec::with_capacity(input.len() * rate as usize / self.rate as usize + 1024);
        let mut rest: &[f64] = &input;
        loop {
            let need = resampler.input_frames_next();
            if rest.len() < need {
                let last = resampler
                    .process_partial(Some(&[rest]), None)
                    .map_err(|e| fail(&e))?;
                output.extend(last.into_iter().next().unwrap_or_default());
                // What the filter still holds.
                let tail = resampler
                    .process_partial::<&[f64]>(None, None)
                    .map_err(|e| fail(&e))?;
                output.extend(tail.into_iter().next().unwrap_or_default());
                break;
            }
            let (chunk, remaining) = rest.split_at(need);
            let out = resampler.process(&[chunk], None).map_err(|e| fail(&e))?;
            output.extend(out.into_iter().next().unwrap_or_default());
            rest = remaining;
        }
        let delay = resampler.output_delay();
        let wanted = self.samples.len() * rate as usize / self.rate as usize;
        let samples = output
            .iter()
            .skip(delay)
            .take(wanted)
            .map(|v| (v * 32768.0).round().clamp(-32768.0, 32767.0) as i16)
            .collect();
        Ok(Wav { rate, samples })
    }
}
