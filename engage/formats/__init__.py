"""Date, time and number formats where Django's defaults do not suit the network.

Django's own format modules are used for every language except where they differ from what the
network's staff read every day: English defaults to the US ("Nov. 29, 2026", "11/29/2026",
"2:30 p.m.", weeks from Sunday), Greek to a 12-hour clock and weeks from Sunday, Bulgarian has no
date-time formats. Here every language shows the day first, a 24-hour clock, and weeks from Monday.
"""
