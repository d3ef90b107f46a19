"""SNS and e-mail writing reach the models in one form: spacing, ㅋㅋ/ㅠㅠ, hashtags, mentions, links, quotes."""

from __future__ import annotations

from sotong.text.korean import Morphemes, compact, morphemes, normalise, strip_email


def test_laughing_crying_emoji_links_and_mentions_go() -> None:
    text = "@songpaOK 보도블럭 깨짐ㅠㅠㅠ ㅋㅋㅋ 😭😭 https://pic.example/x 빨리요!!!!"
    assert normalise(text) == "보도블럭 깨짐 빨리요!!"


def test_hashtags_become_words() -> None:
    assert normalise("#불법_주차 #송파구") == "불법 주차 송파구"


def test_spacing_errors_give_the_same_compact_form() -> None:
    assert compact(normalise("보도블럭이깨져서 위험합니다")) == compact(normalise("보도블럭이 깨져서 위험 합니다"))


def test_fullwidth_and_mixed_script_are_folded() -> None:
    assert normalise("ＣＣＴＶ 설치 Please") == "cctv 설치 please"


def test_quoted_replies_and_signatures_are_cut() -> None:
    mail = (
        "가로등이 꺼졌어요.\n확인 부탁드립니다.\n\n--\n홍길동 드림\n010-0000-0000\n\n"
        "-----Original Message-----\nFrom: a@b.c\n예전 내용"
    )
    assert strip_email(mail).strip() == "가로등이 꺼졌어요.\n확인 부탁드립니다."
    assert "예전" not in normalise("새 내용입니다\n> 예전 내용\n> 더 예전")


def test_an_e_mails_greeting_and_closing_lines_are_cut() -> None:
    mail = "안녕하세요.\n가로등이 꺼졌어요.\n확인 부탁드립니다.\n감사합니다!!\n\n--\n홍길동 드림"
    assert strip_email(mail) == "가로등이 꺼졌어요.\n확인 부탁드립니다."
    assert normalise("안녕하십니까\n수고 많으십니다.\n하수구가 막혔어요\n고맙습니다") == "하수구가 막혔어요"


def test_courtesy_inside_a_line_and_one_line_thanks_are_kept() -> None:
    assert normalise("감사합니다 해결됐어요") == "감사합니다 해결됐어요"
    assert normalise("안녕하세요 가로등이 꺼졌어요\n빨리 와 주세요 감사합니다") == (
        "안녕하세요 가로등이 꺼졌어요 빨리 와 주세요 감사합니다"
    )
    # Nothing but courtesy: kept, so relevance still sees a thank-you note.
    assert normalise("안녕하세요\n감사합니다") == "안녕하세요 감사합니다"


def test_morphemes_survive_missing_spaces() -> None:
    spaced = set(morphemes().words(normalise("불법 주차 때문에 소방차가 못 들어가요")))
    unspaced = set(morphemes().words(normalise("불법주차때문에소방차가못들어가요")))
    assert {"불법", "주차", "소방차"} <= spaced
    assert {"불법", "주차", "소방차"} <= unspaced


def test_a_full_word_cache_keeps_the_words_of_the_batch() -> None:
    analyser = Morphemes(cache_size=4)
    analyser.batch(["보도블럭 파손 신고"])
    words, ids = analyser.analyse(["보도블럭 파손 쓰레기 수거"])  # over the limit: the cache is emptied
    assert {"보도", "블럭", "파손", "쓰레기", "수거"} <= set(words[0])
    assert len(ids[0]) == len(words[0])
