#!/usr/bin/env node
import { main } from './cli.js';

/** The `ix-playground` command. */
process.exitCode = await main(process.argv.slice(2));
