"""Qt-free application logic: project state, jobs, settings."""
