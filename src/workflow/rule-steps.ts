// The step types the workflow's cross-stage rules look at (src/workflow/rules.ts). A pipeline with no node
// of these gets no diagnostic from the rules, so they are not even loaded for it (src/app/open.ts); a
// rule that looks at another step type must name it here.
export const TRAIN_STEP = 'train.expert';
/** The steps that consume a base and a refiner expert. */
export const CONSUMER_STEPS = ['compose.inference', 'evaluate'] as const;
export const WORKFLOW_RULE_STEPS: readonly string[] = [TRAIN_STEP, ...CONSUMER_STEPS];
