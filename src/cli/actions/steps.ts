// `moe steps`: step types (built-in, and the plugins of a pipeline) and their parameters.
import type { StepInfo } from '../../app/step-infos.js';
import { stepInfos } from '../../app/step-infos.js';
import { renderStepProblems } from '../../app/steps.js';
import { CliFailure, EXIT } from '../failure.js';
import { useColor } from '../render/format.js';
import { renderSteps } from '../render/steps.js';
import { readableOrExit } from './open.js';

export async function stepsCommand(file: string | undefined, json: boolean): Promise<StepInfo[]> {
  if (file !== undefined) await readableOrExit(file);
  const infos = await stepInfos(file);
  if (!infos.ok) throw new CliFailure(renderStepProblems(infos.error), EXIT.invalid);
  if (!json) process.stdout.write(renderSteps(infos.value, useColor(process.stdout)));
  return infos.value;
}
