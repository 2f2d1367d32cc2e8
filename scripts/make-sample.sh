#!/usr/bin/env bash
# Generates samples/intruder.mp4: 25 s, 640x360, 15 fps. A still room with sensor noise and a slow light
# change (0-13 s), a person-sized dark figure crossing from left to right (13-18 s), then the empty room
# again. Keyframe every second so the edge agent's stream-copied segments cut cleanly.
# Usage: scripts/make-sample.sh [out.mp4]   (needs ffmpeg; FFMPEG_PATH overrides)
set -euo pipefail
out="${1:-$(dirname "$0")/../samples/intruder.mp4}"
ffmpeg="${FFMPEG_PATH:-ffmpeg}"
dur=25
cross_start=13
cross_len=5
"$ffmpeg" -hide_banner -loglevel error -y \
  -f lavfi -i "color=c=0x5a6470:s=640x360:r=15:d=${dur}" \
  -f lavfi -i "color=c=0x1e2228:s=56x160:r=15:d=${dur}" \
  -filter_complex "\
[0:v]drawbox=x=0:y=270:w=640:h=90:color=0x3c3c3c:t=fill,\
drawbox=x=420:y=70:w=110:h=200:color=0x7a5a3c:t=fill,\
drawbox=x=60:y=70:w=170:h=100:color=0x9fb0c0:t=fill,\
drawbox=x=60:y=70:w=170:h=100:color=0x303030:t=4[room];\
[1:v]drawbox=x=16:y=0:w=24:h=28:color=0xc09070:t=fill[person];\
[room][person]overlay=x='if(between(t,${cross_start},${cross_start}+${cross_len}),-56+(t-${cross_start})*(640+56)/${cross_len},-1000)':y=120,\
eq=brightness='-0.05+0.10*t/${dur}':eval=frame,\
noise=alls=6:allf=t,format=yuv420p[v]" \
  -map "[v]" -c:v libx264 -preset slow -crf 28 -g 15 -keyint_min 15 -sc_threshold 0 -movflags +faststart \
  -t "${dur}" "$out"
echo "wrote $out ($(stat -c %s "$out") bytes)"
