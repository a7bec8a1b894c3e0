import { Args, Command, Flags } from '@oclif/core';

export default class ExportSimpleTuner extends Command {
  static override description =
    'Write, for each train.expert node with backend simpletuner, the config.json and multidatabackend.json moe would run (shared caches under DIR/cache), and a README with the commands: SimpleTuner configs for both experts from one pipeline.';
  static override examples = [
    '<%= config.bin %> export simpletuner pipelines/ssd1b.yaml -o st-configs --param data=/data/captioned',
  ];
  static override args = { pipeline: Args.string({ description: 'pipeline file', required: true }) };
  static override flags = {
    output: Flags.string({ char: 'o', description: 'folder to write the configs into', required: true }),
    param: Flags.string({
      char: 'p',
      description: 'override a parameter: name=value',
      multiple: true,
      default: [],
    }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ExportSimpleTuner);
    const { checkPipeline } = await import('../../../app/validate.js');
    const checked = await checkPipeline(args.pipeline, flags.param);
    const text = checked.render(process.stderr.isTTY === true && process.env['NO_COLOR'] === undefined);
    if (text !== '') process.stderr.write(text);
    if (!checked.valid || checked.pipeline === undefined) {
      process.exitCode = 2;
      return;
    }
    const { exportSimpleTuner } = await import('../../../export/simpletuner/index.js');
    const r = await exportSimpleTuner(checked.pipeline, flags.output);
    if (!r.ok) this.error(r.error, { exit: 2 });
    for (const e of r.value.experts) this.log(`${e.node} (${e.role}): ${e.dir}`);
    this.log(`commands: ${flags.output}/README.md`);
    const sweep = checked.pipeline.sweep;
    const axes = sweep?.axes ?? [];
    if (sweep !== undefined && axes.length + sweep.include.length > 0) {
      // One set of configs per export: the sweep's variants are not written, and nothing else says so.
      const params = checked.pipeline.params;
      const defaults = axes.map(([name]) => `${name}=${String(params.get(name))}`).join(', ');
      const first = axes[0];
      const example = first ? ` (e.g. --param ${first[0]}=${String(first[1][0])})` : '';
      process.stderr.write(
        `note: the pipeline's sweep is not exported: these configs are for ${defaults || 'its defaults'}; export each variant with --param${example}\n`,
      );
    }
  }
}
