import type { Rule } from './api';
import { experimentRules } from './experiment';
import { targetsRules } from './targets';
import { sweepRules } from '../sweep/rules';
import { metricsDerived } from './derived';

export const allRules: Rule[] = [...experimentRules, ...targetsRules, ...sweepRules, metricsDerived];
