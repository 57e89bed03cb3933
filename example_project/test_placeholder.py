"""Placeholder until the example project lands: shows the --chimera gate and the settings."""

import pytest

from pytest_chimera.plugin import settings_of


@pytest.mark.chimera
def test_chimera_settings_come_from_pytest_ini(request: pytest.FixtureRequest) -> None:
    settings = settings_of(request.config)
    assert settings.enabled
    assert settings.model == "gemma3:270m"
    assert settings.options == {"num_ctx": 2048, "temperature": 0.0, "seed": 42}
