import { defineConfig, serviceConfigSpec, type ConfigOf } from '@ticketing/common';

/** The expiration service reads only what every service reads: it serves no signed-in routes. */
export const configSpec = defineConfig({ ...serviceConfigSpec });

export type Config = ConfigOf<typeof configSpec>;
