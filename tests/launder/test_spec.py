"""Specs, dicts and YAML files; random chains; grids."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from fakescope.errors import ParameterError
from fakescope.launder import (
    Chain, RandomChain, Resources, attack_from_dict, condition_slug, dump_attack, load_attack, load_grid, parse_attack,
)
from fakescope.launder.codec import Codec
from fakescope.launder.noise import Noise
from fakescope.launder.sampler import sample_template

from .conftest import FAST, RATE, make_signal


def test_spec_with_positional_values_keys_and_aliases():
    chain = parse_attack("noise:babble:snr=10 | codec:mp3:bitrate=64")
    assert chain == Chain((Noise(kind="babble", snr_db=10.0), Codec(codec="mp3", bitrate_kbps=64.0)))
    assert chain.to_spec() == "noise:babble:snr=10 | codec:mp3:bitrate=64"
    assert parse_attack("bandpass:200:4000").to_dict() == {
        "name": "bandpass", "low_hz": 200.0, "high_hz": 4000.0, "order": 4, "zero_phase": True}
    assert parse_attack("lowpass:3000:zero_phase=no").zero_phase is False


def test_chains_flatten_and_apply_in_order():
    nested = Chain((parse_attack("gain:-6"), parse_attack("gain:-6 | lowpass:3000")))
    assert [a.name for a in nested.attacks] == ["gain", "gain", "lowpass"]
    speech = make_signal(seconds=0.3, sample_rate=RATE, channels=1, seed=0)
    by_hand = parse_attack("lowpass:3000")(parse_attack("gain:-12")(speech, RATE, np.random.default_rng(0)), RATE,
                                           np.random.default_rng(0))
    np.testing.assert_allclose(nested(speech, RATE, np.random.default_rng(0)), by_hand, atol=1e-6)


@FAST
@given(kind=st.sampled_from(["white", "babble", "cafe"]), snr=st.floats(-30, 80), mode=st.sampled_from(["continuous", "intermittent"]),
       kbps=st.sampled_from([16.0, 64.0, 128.0, 320.0]), rt60=st.floats(0.1, 2.0))
def test_any_chain_round_trips_through_spec_dict_and_yaml(kind, snr, mode, kbps, rt60, tmp_path_factory):
    chain = Chain((Noise(kind=kind, snr_db=snr, mode=mode), Codec(codec="mp3", bitrate_kbps=kbps),
                   parse_attack(f"reverb:{rt60!r}")))
    assert parse_attack(chain.to_spec()) == chain
    assert attack_from_dict(chain.to_dict()) == chain
    path = tmp_path_factory.mktemp("yaml") / "chain.yaml"
    path.write_text(dump_attack(chain), encoding="utf-8")
    assert load_attack(path) == chain


@pytest.mark.parametrize("content", [
    "noise:white:snr=5 | gain:-3",
    "- noise:white:snr=5\n- {name: gain, db: -3}\n",
    "attack: noise:white:snr=5 | gain:-3\n",
])
def test_yaml_files_in_three_shapes(tmp_path, content):
    path = tmp_path / "attack.yml"
    path.write_text(content, encoding="utf-8")
    assert parse_attack(str(path)) == parse_attack("noise:white:snr=5 | gain:-3")


@pytest.mark.parametrize("spec, match", [
    ("echo", "unknown attack 'echo'"),
    ("noise:white:loudness=3", "has no parameter 'loudness'"),
    ("noise:white:snr=loud", "must be a number"),
    ("resample:8000.5", "whole number"),
    ("noise:white:pink", "extra 'pink'"),
    ("noise:white:snr=1:snr_db=2", "given twice"),
    ("gain:-3 | | gain:3", "empty attack"),
    ("lowpass:3000:zero_phase=maybe", "true or false"),
])
def test_bad_specs_say_what_is_wrong(spec, match):
    with pytest.raises(ParameterError, match=match):
        parse_attack(spec)


def test_bad_yaml_names_the_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: noise\nsnr_db: [1, 2\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="bad.yaml: not valid YAML"):
        load_attack(path)
    path.write_text("name: noise\nvolume: 3\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="bad.yaml: .*no parameter 'volume'"):
        load_attack(path)
    with pytest.raises(ParameterError, match="not found"):
        load_attack(tmp_path / "missing.yaml")


def test_condition_slug_is_file_name_safe():
    assert condition_slug("noise:babble:snr=10 | codec:mp3:bitrate=64") == "noise-babble-snr10+codec-mp3-bitrate64"


# Random chains ---------------------------------------------------------------------------------------

@FAST
@given(seed=st.integers(0, 2**31 - 1))
def test_templates_draw_inside_their_ranges(seed):
    rng = np.random.default_rng(seed)
    noise = sample_template("noise:white,pink:snr=5..30", rng)
    assert noise.kind in ("white", "pink") and 5 <= noise.snr_db <= 30
    resample = sample_template("resample:8000..8010", rng)
    assert 8000 <= resample.sample_rate <= 8010 and isinstance(resample.sample_rate, int)
    codec = sample_template("codec:mp3:bitrate=16,64", rng)
    assert codec.bitrate_kbps in (16.0, 64.0)


@FAST
@given(seed=st.integers(0, 2**31 - 1), preset=st.sampled_from(["default", "telephone"]))
def test_random_chains_are_drawn_from_the_generator(seed, preset):
    attack = RandomChain(preset=preset)
    first = attack.resolve(np.random.default_rng(seed))
    assert first == attack.resolve(np.random.default_rng(seed))
    # What `resolve` drew is what the call applies (the launder manifest records it per file).
    speech = make_signal(seconds=0.3, sample_rate=RATE, channels=1, seed=seed)
    rng = np.random.default_rng(seed)
    concrete = attack.resolve(rng)
    assert concrete == first
    np.testing.assert_array_equal(attack(speech, RATE, np.random.default_rng(seed)),
                                  concrete.apply(speech, RATE, rng, Resources()).astype(np.float32))


def test_random_chains_vary_and_respect_max_attacks():
    attack = RandomChain(preset="default", max_attacks=2)
    drawn = {attack.resolve(np.random.default_rng(seed)).to_spec() for seed in range(40)}
    assert len(drawn) > 20
    assert all(spec.count("|") <= 1 for spec in drawn)


def test_custom_stages_from_yaml(tmp_path):
    path = tmp_path / "sampler.yaml"
    path.write_text(yaml.safe_dump({"name": "random", "stages": [
        {"p": 1.0, "choices": ["gain:-6..-3"]}, {"p": 0.0, "choices": ["clip:10"]}]}), encoding="utf-8")
    attack = load_attack(path)
    drawn = attack.resolve(np.random.default_rng(0))
    assert drawn.name == "gain" and -6 <= drawn.gain_db <= -3
    assert attack_from_dict(attack.to_dict()) == attack
    with pytest.raises(ParameterError, match="no one-line spec"):
        attack.to_spec()
    with pytest.raises(ParameterError, match="unknown attack"):
        RandomChain(stages=({"p": 1.0, "choices": ["echo:3"]},))
    with pytest.raises(ParameterError, match="preset"):
        parse_attack("random:wild")


# Grids -----------------------------------------------------------------------------------------------

def test_paper_grid_is_the_reference_study():
    grid = load_grid("paper")
    assert len(grid) == 30 and grid.names()[0] == "clean"
    specs = {c.name: c.spec for c in grid}
    assert specs["babble-0db"] == "noise:babble:snr=0" and specs["cafe-20db"] == "noise:cafe:snr=20"
    assert specs["reverb-0.9s"] == "reverb:0.9:room=fixed"
    assert [specs[f"mp3-{k}k"] for k in (16, 320)] == ["codec:mp3:bitrate=16", "codec:mp3:bitrate=320"]
    assert specs["resample-11.025k"] == "resample:11025" and specs["lowpass-7khz"] == "lowpass:7000"
    assert sum(name.startswith("mp3-") for name in grid.names()) == 6


def test_full_grid_and_resource_needs(noise_dir, rir_dir, talkers):
    from fakescope.launder import RecordingLibrary

    grid = load_grid("full")
    assert len(grid) > 60 and set(load_grid("paper").names()) <= set(grid.names())
    missing = grid.missing_resources(Resources())
    assert "volvo-0db" in missing and "measured-rir" in missing and "white-0db" not in missing
    full = Resources(noise=RecordingLibrary(noise_dir), rirs=RecordingLibrary(rir_dir), babble=talkers)
    assert grid.missing_resources(full) == {}


def test_grid_files(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("name: mine\nconditions:\n  clean: clean\n  phone: [bandpass, 'codec:gsm']\n"
                    "  loud: {name: gain, gain_db: 6}\n", encoding="utf-8")
    grid = load_grid(path)
    assert grid.name == "mine" and grid.names() == ["clean", "phone", "loud"]
    assert grid.get("phone").spec == "bandpass:300:3400 | codec:gsm"
    listed = tmp_path / "listed.yaml"
    listed.write_text("- 'noise:white:snr=5'\n- resample:8000\n", encoding="utf-8")
    assert load_grid(listed).names() == ["noise-white-snr5", "resample-8000"]
    with pytest.raises(ParameterError, match="paper, full or a YAML file"):
        load_grid("nope")
    duplicate = tmp_path / "dup.yaml"
    duplicate.write_text("- gain:3\n- gain:3\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="repeats"):
        load_grid(duplicate)
