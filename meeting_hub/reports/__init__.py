"""Reports: the minutes of each briefing, attendance and follow-up statistics with charts, exports, distribution."""
