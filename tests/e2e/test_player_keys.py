"""The player's page-wide keyboard shortcuts, pressed as a viewer would, in real Chromium."""
import pytest

from tests.e2e.test_player import LAST_CLICK, blur, now_ms, player, recording  # noqa: F401 (fixtures)

pytestmark = pytest.mark.e2e


def test_home_and_end_go_to_the_start_and_the_end_of_the_recording(player):
    blur(player)
    player.keyboard.press("ArrowRight")
    player.keyboard.press("ArrowRight")

    player.keyboard.press("End")
    assert abs(now_ms(player) - LAST_CLICK) < 300
    assert player.get_by_test_id("time").inner_text() == "1:10 / 1:10"

    player.keyboard.press("Home")
    assert now_ms(player) < 300
    assert player.get_by_test_id("time").inner_text() == "0:00 / 1:10"
    assert player.get_by_test_id("play-toggle").get_attribute("data-state") == "paused"


def test_keys_typed_into_the_search_box_or_pressed_in_a_panel_do_not_drive_the_player(player):
    blur(player)
    player.keyboard.press("ArrowRight")
    before = now_ms(player)

    search = player.get_by_test_id("search-input")
    search.click()
    for key in ("Space", "ArrowLeft", "ArrowRight", "Home", "End"):
        search.press(key)
    assert abs(now_ms(player) - before) < 300
    assert player.get_by_test_id("play-toggle").get_attribute("data-state") == "paused"

    # In a focused panel, Home and End scroll its list, as in any scrolling box.
    player.get_by_test_id("panel-pages").focus()
    player.keyboard.press("End")
    player.keyboard.press("Home")
    assert abs(now_ms(player) - before) < 300
