"""NEWS2: every chart edge for both SpO2 scales (RCP 2017 chart), partial scores, total bands."""

from __future__ import annotations

import pytest

from dho.scoring.api import News2Result, ReadingArrays, news2
from dho.scoring.codes import Acvpu, Metric, News2Band, News2Param, Observation, Spo2Scale

T_EVAL = 1_700_000_000.0
HOUR = 3600.0

RR, SPO2, O2, SBP, PULSE, ACVPU, TEMP = (
    Metric.RESPIRATORY_RATE,
    Metric.SPO2,
    Observation.SUPPLEMENTAL_OXYGEN,
    Metric.SYSTOLIC_BP,
    Metric.HEART_RATE,
    Observation.CONSCIOUSNESS,
    Metric.BODY_TEMPERATURE,
)
AIR, OXYGEN = 0.0, 1.0


def score(values: dict[int, float], scale: int = Spo2Scale.SCALE_1) -> News2Result:
    """NEWS2 of one patient whose readings were all taken at the evaluation time."""
    codes = list(values)
    readings = ReadingArrays.from_columns([0] * len(codes), codes, [T_EVAL] * len(codes), list(values.values()))
    return news2(readings.sort_and_index(), eval_time=T_EVAL, window_h=1.0, spo2_scale=scale)


# (parameter code, value, sub-score): each chart edge from both sides and a point between grid
# values, which belongs to the band whose upper edge it does not exceed.
CHART_EDGES = [
    *[
        (RR, v, s)
        for v, s in [
            (8, 3),
            (8.5, 1),
            (9, 1),
            (11, 1),
            (11.5, 0),
            (12, 0),
            (20, 0),
            (20.5, 2),
            (21, 2),
            (24, 2),
            (24.5, 3),
            (25, 3),
        ]
    ],
    *[
        (SBP, v, s)
        for v, s in [
            (90, 3),
            (90.5, 2),
            (91, 2),
            (100, 2),
            (100.5, 1),
            (101, 1),
            (110, 1),
            (110.5, 0),
            (111, 0),
            (219, 0),
            (219.5, 3),
            (220, 3),
        ]
    ],
    *[
        (PULSE, v, s)
        for v, s in [
            (40, 3),
            (40.5, 1),
            (41, 1),
            (50, 1),
            (50.5, 0),
            (51, 0),
            (90, 0),
            (90.5, 1),
            (91, 1),
            (110, 1),
            (110.5, 2),
            (111, 2),
            (130, 2),
            (130.5, 3),
            (131, 3),
        ]
    ],
    *[
        (TEMP, v, s)
        for v, s in [
            (35.0, 3),
            (35.05, 1),
            (35.1, 1),
            (36.0, 1),
            (36.05, 0),
            (36.1, 0),
            (38.0, 0),
            (38.05, 1),
            (38.1, 1),
            (39.0, 1),
            (39.05, 2),
            (39.1, 2),
        ]
    ],
    *[(ACVPU, float(c), 0 if c == Acvpu.ALERT else 3) for c in Acvpu],
    (O2, AIR, 0),
    (O2, OXYGEN, 2),
]
PARAM_OF_CODE: dict[int, News2Param] = {
    RR: News2Param.RESPIRATORY_RATE,
    SPO2: News2Param.SPO2,
    O2: News2Param.AIR_OR_OXYGEN,
    SBP: News2Param.SYSTOLIC_BP,
    PULSE: News2Param.PULSE,
    ACVPU: News2Param.CONSCIOUSNESS,
    TEMP: News2Param.TEMPERATURE,
}


@pytest.mark.parametrize(("code", "value", "expected"), CHART_EDGES, ids=lambda x: str(x))
def test_given_value_at_chart_edge_when_scored_then_table_subscore(code: int, value: float, expected: int) -> None:
    result = score({code: value})
    param = PARAM_OF_CODE[code]
    assert result.subscores[0, param] == expected
    assert result.total[0] == expected
    assert result.present[0] == 1 << param


SPO2_SCALE1 = [(91, 3), (91.5, 2), (92, 2), (93, 2), (93.5, 1), (94, 1), (95, 1), (95.5, 0), (96, 0), (100, 0)]


@pytest.mark.parametrize("oxygen", [AIR, OXYGEN], ids=["air", "oxygen"])
@pytest.mark.parametrize(("spo2", "expected"), SPO2_SCALE1)
def test_given_scale1_spo2_when_scored_then_points_do_not_change_with_oxygen(
    spo2: float, expected: int, oxygen: float
) -> None:
    result = score({SPO2: spo2, O2: oxygen}, Spo2Scale.SCALE_1)
    assert result.subscores[0, News2Param.SPO2] == expected
    assert result.subscores[0, News2Param.AIR_OR_OXYGEN] == (2 if oxygen == OXYGEN else 0)
    assert result.total[0] == expected + (2 if oxygen == OXYGEN else 0)  # oxygen adds its own 2


# Scale 2 up to 92 %: the same points on air and on oxygen.
SPO2_SCALE2_LOW = [
    (80, 3),
    (83, 3),
    (83.5, 2),
    (84, 2),
    (85, 2),
    (85.5, 1),
    (86, 1),
    (87, 1),
    (87.5, 0),
    (88, 0),
    (90, 0),
    (92, 0),
]
SPO2_SCALE2_ON_AIR = [(92.5, 0), (93, 0), (94, 0), (97, 0), (100, 0)]
SPO2_SCALE2_ON_OXYGEN = [(92.5, 1), (93, 1), (94, 1), (94.5, 2), (95, 2), (96, 2), (96.5, 3), (97, 3), (100, 3)]


@pytest.mark.parametrize("oxygen", [AIR, OXYGEN], ids=["air", "oxygen"])
@pytest.mark.parametrize(("spo2", "expected"), SPO2_SCALE2_LOW)
def test_given_scale2_spo2_up_to_92_when_scored_then_same_on_air_and_oxygen(
    spo2: float, expected: int, oxygen: float
) -> None:
    assert score({SPO2: spo2, O2: oxygen}, Spo2Scale.SCALE_2).subscores[0, News2Param.SPO2] == expected


@pytest.mark.parametrize(("spo2", "expected"), SPO2_SCALE2_ON_AIR)
def test_given_scale2_spo2_above_92_on_air_when_scored_then_0(spo2: float, expected: int) -> None:
    assert score({SPO2: spo2, O2: AIR}, Spo2Scale.SCALE_2).subscores[0, News2Param.SPO2] == expected


@pytest.mark.parametrize(("spo2", "expected"), SPO2_SCALE2_ON_OXYGEN)
def test_given_scale2_spo2_above_92_on_oxygen_when_scored_then_oxygen_column(spo2: float, expected: int) -> None:
    assert score({SPO2: spo2, O2: OXYGEN}, Spo2Scale.SCALE_2).subscores[0, News2Param.SPO2] == expected


def test_given_oxygen_but_plan_scale1_when_scored_then_scale_is_not_switched_by_the_oxygen_flag() -> None:
    # 97 % on oxygen would score 3 on scale 2; the plan says scale 1, where it scores 0.
    result = score({SPO2: 97, O2: OXYGEN}, Spo2Scale.SCALE_1)
    assert result.subscores[0, News2Param.SPO2] == 0


def test_given_scale2_spo2_above_92_and_oxygen_unknown_when_scored_then_spo2_reported_missing() -> None:
    result = score({SPO2: 95}, Spo2Scale.SCALE_2)
    assert not result.is_present(0, News2Param.SPO2)
    assert result.subscores[0, News2Param.SPO2] == -1
    assert result.band_of(0) == News2Band.NO_DATA


def test_given_scale2_spo2_at_most_92_and_oxygen_unknown_when_scored_then_scored() -> None:
    assert score({SPO2: 90}, Spo2Scale.SCALE_2).subscores[0, News2Param.SPO2] == 0


def test_given_only_spo2_and_pulse_when_scored_then_partial_score_says_which_were_present() -> None:
    result = score({SPO2: 93, PULSE: 115})
    assert result.present[0] == (1 << News2Param.SPO2) | (1 << News2Param.PULSE)
    assert result.total[0] == 2 + 2
    missing = [p for p in News2Param if p not in (News2Param.SPO2, News2Param.PULSE)]
    assert all(result.subscores[0, p] == -1 for p in missing)  # missing, not scored 0
    assert all(not result.is_present(0, p) for p in missing)


def test_given_no_vitals_in_window_when_scored_then_no_data_not_zero() -> None:
    readings = ReadingArrays.from_columns([0], [SPO2], [T_EVAL - 3 * HOUR], [85.0]).sort_and_index()
    result = news2(readings, eval_time=T_EVAL, window_h=1.0)
    assert result.present[0] == 0
    assert result.band_of(0) == News2Band.NO_DATA


NORMAL: dict[int, float] = {RR: 16, SPO2: 97, O2: AIR, SBP: 130, PULSE: 70, ACVPU: float(Acvpu.ALERT), TEMP: 37.0}


@pytest.mark.parametrize(
    ("changes", "total", "band"),
    [
        ({}, 0, News2Band.NONE),
        ({PULSE: 95}, 1, News2Band.LOW),
        ({SBP: 95, O2: OXYGEN}, 4, News2Band.LOW),
        ({RR: 8}, 3, News2Band.LOW_URGENT_REVIEW),  # 3 from one parameter
        ({ACVPU: float(Acvpu.VOICE)}, 3, News2Band.LOW_URGENT_REVIEW),
        ({RR: 8, O2: OXYGEN}, 5, News2Band.MEDIUM),  # 5 including a single 3
        ({SBP: 95, O2: OXYGEN, PULSE: 95}, 5, News2Band.MEDIUM),
        ({SBP: 95, O2: OXYGEN, TEMP: 39.5}, 6, News2Band.MEDIUM),
        ({RR: 25, O2: OXYGEN, PULSE: 115}, 7, News2Band.HIGH),
        ({RR: 25, SBP: 85, ACVPU: float(Acvpu.UNRESPONSIVE), TEMP: 34.0}, 12, News2Band.HIGH),
    ],
)
def test_given_full_vitals_when_totalled_then_band_follows_rcp_rules(
    changes: dict[int, float], total: int, band: News2Band
) -> None:
    result = score({**NORMAL, **changes})
    assert result.present[0] == 0b111_1111
    assert result.total[0] == total
    assert result.band_of(0) == band
    assert result.any_three[0] == any(s == 3 for s in result.subscores[0])


def test_given_several_readings_when_scored_then_latest_in_window_is_used() -> None:
    times = [T_EVAL - 5 * HOUR, T_EVAL - 2 * HOUR, T_EVAL - 1 * HOUR, T_EVAL + 1 * HOUR]
    values = [80.0, 85.0, 97.0, 80.0]  # too old, superseded, latest, in the future (ignored)
    readings = ReadingArrays.from_columns([0] * 4, [SPO2] * 4, times, values).sort_and_index()
    result = news2(readings, eval_time=T_EVAL, window_h=4.0)
    assert result.subscores[0, News2Param.SPO2] == 0


def test_given_reading_exactly_window_old_when_scored_then_included() -> None:
    readings = ReadingArrays.from_columns([0], [PULSE], [T_EVAL - 2 * HOUR], [35.0]).sort_and_index()
    assert news2(readings, eval_time=T_EVAL, window_h=2.0).subscores[0, News2Param.PULSE] == 3


def test_given_patients_with_different_plans_when_scored_then_each_uses_its_own_scale() -> None:
    readings = ReadingArrays.from_columns([0, 0, 1, 1], [SPO2, O2] * 2, [T_EVAL] * 4, [97, OXYGEN] * 2)
    result = news2(readings.sort_and_index(), eval_time=T_EVAL, window_h=1.0, spo2_scale=[1, 2])
    assert result.subscores[:, News2Param.SPO2].tolist() == [0, 3]


@pytest.mark.parametrize("code", [5.0, -1.0, 1.5])
def test_given_unknown_consciousness_code_when_scored_then_rejected(code: float) -> None:
    with pytest.raises(ValueError, match="consciousness"):
        score({ACVPU: code})


def test_given_oxygen_value_other_than_0_or_1_when_scored_then_rejected() -> None:
    with pytest.raises(ValueError, match="oxygen"):
        score({O2: 2.0})


def test_given_spo2_scale_3_when_scored_then_rejected() -> None:
    with pytest.raises(ValueError, match="spo2_scale"):
        score({SPO2: 95}, scale=3)
