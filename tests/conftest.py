"""Shared test configuration: rule cases under tests/**/cases/*.yaml are collected as tests."""

pytest_plugins = ["liudong.rules.pytest_plugin"]
