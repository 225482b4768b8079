"""The top floor: the app assembled (:mod:`service.app`), the `kkp` command
(:mod:`service.cli`), the scheduler, the start page, demo content and the development
supervisor. Nothing below imports it (docs/architecture.md)."""
