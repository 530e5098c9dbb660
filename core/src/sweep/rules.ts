export const sweepRules = [];
