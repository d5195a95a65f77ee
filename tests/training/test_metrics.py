import pytest

from govner.training.metrics import classify_errors, error_table, span_scores

TEXT = "新增市场主体450家,投资600万元打造镇级居家养老服务中心。(工业商贸办牵头负责)"


def at(sub: str, label: str, text: str = TEXT) -> tuple[int, int, str]:
    start = text.index(sub)
    return (start, start + len(sub), label)


def test_each_error_kind():
    gold = [at("市场主体", "INDICATOR"), at("450家", "VALUE"), at("600万元", "VALUE"),
            at("镇级居家养老服务中心", "PROJECT")]
    pred = [at("市场主体", "INDICATOR"),  # correct
            at("450", "VALUE"),  # boundary
            at("600万元", "INDICATOR"),  # wrong label
            at("工业商贸办", "LEAD_OFFICE")]  # spurious; the PROJECT is missed
    kinds = sorted(k for k, _, _ in classify_errors(gold, pred))
    assert kinds == ["boundary", "missed", "spurious", "wrong_label"]
    table = error_table([TEXT], [gold], [pred])
    assert table["counts"]["missed"]["PROJECT"] == 1
    assert table["counts"]["wrong_label"]["VALUE"] == 1
    assert table["counts"]["spurious"]["LEAD_OFFICE"] == 1
    assert table["examples"]["boundary"][0]["pred"]["text"] == "450"


def test_strict_scores_need_exact_spans():
    gold = [[at("450家", "VALUE"), at("600万元", "VALUE")]]
    assert span_scores([TEXT], gold, gold)["micro"]["f1"] == 1.0
    half = span_scores([TEXT], gold, [[at("450家", "VALUE"), at("600万", "VALUE")]])
    assert half["VALUE"]["precision"] == pytest.approx(0.5) and half["VALUE"]["support"] == 2
    assert span_scores([], [], [])["micro"]["f1"] == 0.0


def test_dev_metrics_read_tags_like_the_predictor():
    import numpy as np

    from govner.training.metrics import trainer_metrics
    from govner.schema import TAG2ID

    gold = ["O", "B-VALUE", "I-VALUE", "O"]
    # arg-max would read B-VALUE, I-INDICATOR (a cut VALUE) and a spurious B-PROJECT; decoded as
    # the Predictor decodes (constrained Viterbi), the VALUE is whole and the PROJECT stays
    probs = np.full((4, len(TAG2ID)), 1e-3)
    for i, row in enumerate([{"O": 0.9}, {"B-VALUE": 0.9}, {"I-INDICATOR": 0.5, "I-VALUE": 0.45},
                             {"B-PROJECT": 0.9}]):
        for tag, p in row.items():
            probs[i, TAG2ID[tag]] = p
    logits = np.log(probs)[None]
    labels = np.array([[-100] + [TAG2ID[t] for t in gold[1:]]])
    scores = trainer_metrics(logits, labels)
    assert scores["f1_VALUE"] == 1.0 and scores["micro_precision"] == 0.5
