import type { SceneObject, SceneSpec } from './synthetic-scene';

/**
 * The labeled synthetic scenes (issue 12): what must be reported (people by day, at night, very dark, faint and
 * small, two events, a person in headlights or after the lights come on) and what must never be (quiet scenes,
 * light steps, an IR switch, headlights, rain, masked vegetation, a small animal). Shared by the gate's unit
 * tests (rendered at 160x90) and the detection benchmark (rendered at 640x360, encoded, decoded by ffmpeg).
 */

/** The figure: 200x300 in a 1280x720 frame. */
const FIGURE = { width: 200 / 1280, height: 300 / 720, y: 0.45 };
/** The smallest object that must be reported: ~0.55 % of the frame once its head and feet are rounded. */
const SMALL = { width: 0.055, height: 0.11 };

function person(start: number, seconds: number, delta: number, extra: Partial<SceneObject> = {}): SceneObject {
  return { start, seconds, delta, kind: 'person', ...FIGURE, ...extra };
}

export const SCENES: SceneSpec[] = [
  {
    name: 'grey-wall-person',
    description: 'day, flat grey wall, a 200x300 (of 1280x720) figure 25 levels darker crossing in 6 s',
    seconds: 24,
    fps: 5,
    wall: 128,
    texture: 0,
    noise: 1.5,
    objects: [person(8, 6, -25)],
  },
  {
    name: 'faint-small-people',
    description:
      'day, textured wall, two small figures (0.55 % of the frame, far away: 10 s to cross) 12 levels lighter then darker',
    seconds: 32,
    fps: 5,
    wall: 120,
    texture: 24,
    noise: 1.5,
    objects: [
      { start: 4, seconds: 10, delta: 12, kind: 'person', ...SMALL, y: 0.55 },
      { start: 18, seconds: 10, delta: -12, kind: 'person', ...SMALL, y: 0.3, fromRight: true },
    ],
  },
  {
    name: 'night-person',
    description: 'night, luma 25-55, heavy noise, a person 12 levels lighter crossing in 5 s',
    seconds: 30,
    fps: 5,
    wall: 40,
    texture: 15,
    noise: 4,
    objects: [person(10, 5, 12, { width: 0.1, height: 0.35, y: 0.5 })],
  },
  {
    name: 'very-dark-person',
    description: 'very dark (luma 8-20), noise, a person 12 levels lighter crossing in 5 s',
    seconds: 30,
    fps: 5,
    wall: 14,
    texture: 6,
    noise: 2,
    objects: [person(10, 5, 12, { width: 0.1, height: 0.35, y: 0.5, fromRight: true })],
  },
  {
    name: 'two-events',
    description: 'day, textured wall, two people 18 s apart',
    seconds: 36,
    fps: 5,
    wall: 100,
    texture: 30,
    noise: 2,
    objects: [person(6, 5, -30), person(24, 4, 20, { fromRight: true, y: 0.4, width: 0.12 })],
  },
  {
    name: 'person-after-lights-on',
    description: 'lights switched on at 6 s, a person enters 2 s later',
    seconds: 24,
    fps: 5,
    wall: 60,
    texture: 20,
    noise: 2,
    light: [{ at: 6, gain: 1.8, offset: 10 }],
    objects: [person(8, 5, -15)],
  },
  {
    name: 'person-in-headlights',
    description: 'night, headlights sweeping across while a person crosses',
    seconds: 30,
    fps: 5,
    wall: 35,
    texture: 12,
    noise: 3,
    headlights: [{ start: 11, seconds: 3, gain: 1.5, width: 0.3 }],
    objects: [person(10, 6, 14, { width: 0.1, height: 0.35, y: 0.5 })],
    // The beam makes the gate start over while the person is in view: the background keeps them where they
    // stood, a ghost absorbed within ~2 s of their leaving.
    expect: { tailSeconds: 3 },
  },
  {
    name: 'quiet-day',
    description: 'day, textured wall, noise, light drifting ±6 % over 40 s (clouds), nothing else',
    seconds: 60,
    fps: 5,
    wall: 110,
    texture: 40,
    noise: 2,
    drift: { amplitude: 0.06, period: 40 },
  },
  {
    name: 'quiet-night',
    description: 'night, luma 25-50, heavy noise, nothing else',
    seconds: 60,
    fps: 5,
    wall: 36,
    texture: 12,
    noise: 4,
  },
  {
    name: 'light-steps',
    description: 'lights on at 10 s (x1.8), off at 25 s, dimmed over 3 s at 32 s',
    seconds: 40,
    fps: 5,
    wall: 90,
    texture: 35,
    noise: 2,
    light: [
      { at: 10, gain: 1.8, offset: 10 },
      { at: 25, gain: 1 },
      { at: 32, ramp: 3, gain: 0.6 },
    ],
  },
  {
    name: 'auto-exposure',
    description: "a camera's auto-exposure: ×0.6 with the black level lifted +20 within 0.4 s at 8 s, back at 20 s",
    seconds: 30,
    fps: 5,
    wall: 100,
    texture: 45,
    noise: 1.5,
    light: [
      { at: 8, ramp: 0.4, gain: 0.6, offset: 20 },
      { at: 20, ramp: 0.4, gain: 1 },
    ],
  },
  {
    name: 'ir-switch',
    description: 'day → night IR switch at 15 s: brighter, flatter, materials look different, noise doubles',
    seconds: 30,
    fps: 5,
    wall: 80,
    texture: 35,
    noise: 2,
    ir: { at: 15 },
  },
  {
    name: 'headlights',
    description: 'night, three headlight sweeps (a bright band moving across) at 5, 15 and 24 s',
    seconds: 32,
    fps: 5,
    wall: 35,
    texture: 12,
    noise: 3,
    headlights: [
      { start: 5, seconds: 3, gain: 1.5, width: 0.25 },
      { start: 15, seconds: 2, gain: 2, width: 0.3 },
      { start: 24, seconds: 4, gain: 1.2, width: 0.2 },
    ],
  },
  {
    name: 'rain',
    description: 'rain-like noise: 80 bright streaks at random places on every frame',
    seconds: 40,
    fps: 5,
    wall: 70,
    texture: 25,
    noise: 2,
    rain: { streaks: 80, luma: 35, length: 0.06 },
  },
  {
    name: 'vegetation-masked',
    description: 'a tree swaying in the top-right corner, masked',
    seconds: 40,
    fps: 5,
    wall: 100,
    texture: 30,
    noise: 2,
    vegetation: { x: 0.74, y: 0.02, width: 0.24, height: 0.45, amplitude: 0.05, period: 3 },
    mask: [
      [
        [0.7, 0],
        [1, 0],
        [1, 0.52],
        [0.7, 0.52],
      ],
    ],
  },
  {
    name: 'vegetation-unmasked',
    description: 'the same tree without its mask: real motion, reported (nuisance, not an event)',
    seconds: 40,
    fps: 5,
    wall: 100,
    texture: 30,
    noise: 2,
    vegetation: { x: 0.74, y: 0.02, width: 0.24, height: 0.45, amplitude: 0.05, period: 3 },
  },
  {
    name: 'small-animal',
    description: 'a cat-sized object (0.16 % of the frame) crossing the floor: below the person-size contour area',
    seconds: 30,
    fps: 5,
    wall: 100,
    texture: 25,
    noise: 2,
    objects: [{ start: 10, seconds: 5, delta: -40, kind: 'animal', width: 0.04, height: 0.04, y: 0.85 }],
  },
];

/** Scenes whose motion is real but not an event (unmasked vegetation): motion there is neither a miss nor false. */
export const NUISANCE_SCENES = new Set(['vegetation-unmasked']);
