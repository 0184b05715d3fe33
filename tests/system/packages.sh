#!/bin/sh
# Test-only system packages, installed with Debian's apt-get where any is missing (as root,
# else through sudo); with all of them there it exits at once, without apt.
# - chromium: checks the patient's page and handout in a real headless browser;
# - fonts the handout's PDF embeds and the browser draws with, one for each script a patient's
#   name may be written in (schedule/handout/fonts.py finds them by path):
#   fonts-dejavu-core (Latin, Greek, Cyrillic), fonts-noto-core (Noto Sans and Noto Sans
#   Arabic), fonts-droid-fallback (Chinese and Japanese, as TrueType outlines, which the PDF
#   writer embeds; Noto's CJK fonts are CFF and it cannot), fonts-wqy-zenhei (Korean),
#   fonts-symbola (emoji, in black and white for print) and fonts-noto-color-emoji (emoji in
#   the browser).
set -e
packages="chromium fonts-dejavu-core fonts-noto-core fonts-droid-fallback fonts-wqy-zenhei
  fonts-symbola fonts-noto-color-emoji"
missing=""
for package in $packages; do
  dpkg-query -W -f='${Status}\n' "$package" 2>/dev/null | grep -q "ok installed" ||
    missing="$missing $package"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then as_root=""; else as_root="sudo"; fi
echo "tests: installing$missing from Debian's packages" >&2
$as_root apt-get update -qq
# shellcheck disable=SC2086  # one word per package
DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq $missing >/dev/null
