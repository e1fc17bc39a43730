#!/usr/bin/python3
"""A minimal WebKitGTK browser for WebKitWebDriver, on a persistent profile.

MiniBrowser's --automation mode always uses an ephemeral profile, so a test
that restarts the browser on the same profile needs its own binary
(shared/NOTES.md). WebKitWebDriver starts this program with --automation and
the program builds a WebContext on a WebsiteDataManager
rooted in that directory, allows automation, and answers the automation
session's create-web-view signal with a new controlled WebView.

    webkitBrowser.py --profile=DIR [--automation]

The profile comes from `webkitgtk:browserOptions.args`; WebKitWebDriver adds
--automation.

Also turns on the StorageAPI features, without which navigator.storage is
undefined in WebKitGTK.
"""
import os
import sys

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("WebKit2", "4.1")
from gi.repository import Gtk, WebKit2  # noqa: E402

profile = next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--profile=")), None)
if not profile:
    sys.exit("webkitBrowser.py: pass --profile=DIR")
os.makedirs(profile, exist_ok=True)

manager = WebKit2.WebsiteDataManager(
    base_data_directory=os.path.join(profile, "data"),
    base_cache_directory=os.path.join(profile, "cache"),
)
context = WebKit2.WebContext(website_data_manager=manager)
context.set_automation_allowed(True)

settings = WebKit2.Settings()
features = WebKit2.Settings.get_all_features()
for i in range(features.get_length()):
    feature = features.get(i)
    if feature.get_identifier() in ("StorageAPI", "StorageAPIEstimate"):
        settings.set_feature_enabled(feature, True)

windows = []


def create_web_view(_session):
    view = WebKit2.WebView(web_context=context, settings=settings, is_controlled_by_automation=True)
    window = Gtk.Window()
    window.set_default_size(1024, 768)
    window.add(view)
    window.show_all()
    windows.append(window)
    view.connect("close", lambda v: window.destroy())
    return view


def automation_started(_context, session):
    info = WebKit2.ApplicationInfo()
    info.set_name("FerryWebKit")
    info.set_version(1, 0, 0)
    session.set_application_info(info)
    session.connect("create-web-view", create_web_view)


context.connect("automation-started", automation_started)
Gtk.main()
