"""The bench's settings: defaults, the quick preset, variables and flags, and which figures to measure."""

from __future__ import annotations

import pytest

from bench.config import ENV_PREFIX, from_args


def test_flags_override_variables_which_override_the_quick_preset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}EVENTS", "12")
    monkeypatch.setenv(f"{ENV_PREFIX}FAN_OUT", "3")
    config, _ = from_args(["--quick", "--fan-out", "7", "--figures", "4,5"])
    assert (config.events, config.fan_out, config.figures, config.duration_s) == (12, 7, (4, 5), 10.0)


@pytest.mark.parametrize("figures", ["12", "0,1", ","])
def test_figures_outside_one_to_seven_are_refused(figures: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        from_args(["--figures", figures])
    assert exit_.value.code == 2 and "--figures: choose among 1,2,3,4,5,6,7" in capsys.readouterr().err
