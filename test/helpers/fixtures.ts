// Configs shared by several test files.
import type { Sweep } from '../../core/src/config/types';

/** The 18-configuration grid from ARCHITECTURE.md (3 learning rates × 3 sizes × 2 depths). */
export const archSweep = (): Sweep => ({
  experiment: './train.experiment.yaml',
  method: 'grid',
  parameters: {
    'params.learning_rate': { values: [1.0e-4, 5.0e-4, 1.0e-3] },
    'params.hidden_size': { values: [64, 128, 256] },
    'params.num_layers': { values: [2, 3] },
  },
  repeat: 1,
  max_parallel: 18,
  name_template: 'lr{params.learning_rate}_h{params.hidden_size}_l{params.num_layers}',
});
