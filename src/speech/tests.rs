use super::*;

fn script<'a>(responses: &'a [String], body: Option<&'a str>) -> Script<'a> {
    Script {
        org: "Acme Rescue",
        critical: true,
        warning: false,
        title: "Fire at the harbour",
        body,
        responses,
        allow_eta: true,
    }
}

fn options() -> Vec<String> {
    vec!["Coming".to_owned(), "Not coming".to_owned()]
}

#[test]
fn the_script_names_the_sender_the_alert_and_the_keys_in_the_persons_language() {
    let responses = options();
    let words = script(&responses, Some("Warehouse 3 is burning")).words(Lang::En);
    assert_eq!(
        words,
        "This is an alert from Acme Rescue. Critical. Fire at the harbour. Warehouse 3 is burning. \
         Press 1 for Coming. Press 2 for Not coming. \
         To say when you arrive, enter the minutes and then the hash key. Press 0 to hear this again."
    );
    let finnish = script(&responses, Some("Varasto 3 palaa")).words(Lang::Fi);
    assert!(
        finnish.starts_with("Tämä on hälytys: Acme Rescue. Kiireellinen."),
        "{finnish}"
    );
    assert!(finnish.contains("Paina 1: Coming."), "{finnish}");
}

#[test]
fn a_sealed_alert_says_only_that_a_message_waits_in_the_app() {
    let responses = options();
    let words = script(&responses, None).words(Lang::Sv);
    assert!(
        words.contains("Ett krypterat meddelande väntar på dig i appen."),
        "{words}"
    );
}

#[test]
fn a_long_text_is_cut_at_a_word_and_the_rest_is_in_the_app() {
    let responses = options();
    let body = "word ".repeat(4_000);
    let words = script(&responses, Some(&body)).words(Lang::En);
    assert!(
        words.contains("The message continues in the app."),
        "{words}"
    );
    assert!(words.len() < SPOKEN_TEXT_MAX + 400, "{}", words.len());
    assert!(!words.contains("wor."), "cut inside a word: {words}");
}

#[test]
fn a_wav_survives_writing_and_reading() {
    let wav = Wav {
        rate: CALL_RATE,
        samples: vec![0, 1, -1, i16::MAX, i16::MIN],
    };
    assert_eq!(Wav::parse(&wav.to_bytes()), Ok(wav));
    assert!(matches!(
        Wav::parse(b"RIFF0000WAVE"),
        Err(WavError::NotWav(_))
    ));
    assert!(matches!(Wav::parse(b"garbage"), Err(WavError::NotWav(_))));
}

/// Crossings of zero per second: twice the frequency of a pure tone.
fn crossings_per_second(wav: &Wav) -> f64 {
    let crossings = wav
        .samples
        .windows(2)
        .filter(|w| (w[0] < 0) != (w[1] < 0))
        .count();
    crossings as f64 / wav.seconds()
}

fn tone(hz: f64, rate: u32, seconds: f64) -> Wav {
    let n = (f64::from(rate) * seconds) as usize;
    Wav {
        rate,
        samples: (0..n)
            .map(|i| {
                ((i as f64 * hz * std::f64::consts::TAU / f64::from(rate)).sin() * 16_000.0) as i16
            })
            .collect(),
    }
}

fn rms(wav: &Wav) -> f64 {
    let sum: f64 = wav.samples.iter().map(|s| f64::from(*s).powi(2)).sum();
    (sum / wav.samples.len().max(1) as f64).sqrt()
}

#[test]
fn resampling_to_8_khz_keeps_speech_and_drops_what_a_phone_cannot_carry() {
    let speech_band = tone(1_000.0, 22_050, 1.0).resampled(CALL_RATE).unwrap();
    assert_eq!(speech_band.rate, CALL_RATE);
    assert!(
        (speech_band.seconds() - 1.0).abs() < 0.01,
        "{}",
        speech_band.seconds()
    );
    let hz = crossings_per_second(&speech_band) / 2.0;
    assert!((hz - 1_000.0).abs() < 20.0, "{hz} Hz");
    assert!(rms(&speech_band) > 10_000.0, "{}", rms(&speech_band));
    // 6 kHz can't be carried at 8 kHz; it must not fold back as a 2 kHz whine.
    let too_high = tone(6_000.0, 22_050, 1.0).resampled(CALL_RATE).unwrap();
    assert!(rms(&too_high) < 200.0, "{}", rms(&too_high));
}

#[test]
fn espeak_speaks_finnish_and_english_differently_as_8_khz_mono_16_bit() {
    let responses = options();
    let s = script(&responses, Some("Warehouse 3 is burning"));
    let english = synthesise(&s.words(Lang::En), Lang::En).unwrap();
    let finnish = synthesise(&s.words(Lang::Fi), Lang::Fi).unwrap();
    for wav in [&english, &finnish] {
        assert_eq!(wav.rate, CALL_RATE);
        let bytes = wav.to_bytes();
        assert_eq!(&bytes[22..24], &1u16.to_le_bytes(), "mono");
        assert_eq!(&bytes[34..36], &16u16.to_le_bytes(), "16-bit");
        // About 30 words at 150 a minute: some ten seconds, surely 5 to 30.
        assert!((5.0..30.0).contains(&wav.seconds()), "{}", wav.seconds());
    }
    assert_ne!(english, finnish);
}

#[test]
fn the_cache_speaks_once_per_alert_and_language_and_forgets_on_close() {
    let dir = tempfile::tempdir().unwrap();
    let cache = SpeechCache::new(dir.path());
    let (alert, responses) = (Id::new(), options());
    let s = script(&responses, Some("Warehouse 3 is burning"));
    let first = cache
        .spoken(alert, Lang::Fi, "message", &s.words(Lang::Fi))
        .unwrap();
    let modified = std::fs::metadata(&first).unwrap().modified().unwrap();
    let again = cache
        .spoken(alert, Lang::Fi, "message", &s.words(Lang::Fi))
        .unwrap();
    assert_eq!(first, again);
    assert_eq!(
        std::fs::metadata(&again).unwrap().modified().unwrap(),
        modified
    );
    let english = cache
        .spoken(alert, Lang::En, "message", &s.words(Lang::En))
        .unwrap();
    assert_ne!(first, english);
    let changed = cache
        .spoken(alert, Lang::En, "message", "Warehouse 4 is burning.")
        .unwrap();
    assert_ne!(changed, english, "new words are spoken anew");
    let wav = Wav::parse(&std::fs::read(&english).unwrap()).unwrap();
    assert_eq!(wav.rate, CALL_RATE);
    cache.forget(alert);
    assert!(!first.exists() && !english.exists() && !changed.exists());
}

#[test]
fn calls_speaking_the_same_words_at_once_all_get_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let cache = SpeechCache::new(dir.path());
    for _ in 0..5 {
        let alert = Id::new();
        let spoken: Vec<_> = std::thread::scope(|s| {
            let calls: Vec<_> = (0..8)
                .map(|_| s.spawn(|| cache.spoken(alert, Lang::En, "message", "Crew needed.")))
                .collect();
            calls.into_iter().map(|c| c.join().unwrap()).collect()
        });
        for path in &spoken {
            assert_eq!(path.as_ref().unwrap(), spoken[0].as_ref().unwrap());
        }
    }
    let files = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(files, 5, "one file an alert, no half-written one beside it");
}
