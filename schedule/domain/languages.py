"""The languages a patient may read in: a message catalogue of each ships in `schedule/i18n`.
Its own module, imported by the command line's options without loading anything else."""

LANGUAGES: tuple[str, ...] = ("en", "es", "fr", "de")
