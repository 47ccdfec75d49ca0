/**
 * Fails (exit code 1) when a public export of tfjs-optvis has no TSDoc.
 *
 * Runs TypeDoc's converter over the public entry points (`typedoc.json`: `src/index.ts`,
 * `src/node.ts`) without writing any output, then walks the reflection tree itself:
 *
 * - errors (fail the check): an exported namespace, class, interface, function, variable, type
 *   alias or enum without a summary; a public method, property or accessor of an exported class or
 *   interface without a summary; TypeDoc conversion errors;
 * - warnings (listed; errors with `--strict`): an exported function or class without an
 *   `@example`, a parameter of an exported function without a description;
 * - TypeDoc's own warnings (broken `{@link}`s, a public signature naming a type that is not
 *   exported and not listed in typedoc.json's `intentionallyNotExported`) fail the check, so
 *   `npm run docs` stays free of warnings.
 *
 * Properties of inline object types inside type aliases (`{ mean, std }`) are not required to be
 * documented separately: the alias's own comment describes them.
 *
 * Usage: `npm run docs:check` (or `npx tsx scripts/check-docs.ts [--strict] [--json]`).
 */
import {
  Application,
  type DeclarationReflection,
  type ProjectReflection,
  type Reflection,
  ReflectionKind,
  type SignatureReflection,
  TSConfigReader,
  TypeDocReader,
} from 'typedoc';

/** One finding of the check. */
export interface DocFinding {
  /** Dotted name, e.g. `param.fftImage` or `Objective.add`. */
  readonly name: string;
  /** TypeDoc's kind name, e.g. `Function`. */
  readonly kind: string;
  /** Source file (relative) and line. */
  readonly where: string;
  /** What is missing. */
  readonly problem: string;
}

const TOP_KINDS =
  ReflectionKind.Namespace |
  ReflectionKind.Module |
  ReflectionKind.Class |
  ReflectionKind.Interface |
  ReflectionKind.Function |
  ReflectionKind.Variable |
  ReflectionKind.TypeAlias |
  ReflectionKind.Enum;

const MEMBER_KINDS = ReflectionKind.Method | ReflectionKind.Property | ReflectionKind.Accessor | ReflectionKind.EnumMember;

function hasText(r: Reflection | undefined): boolean {
  const c = r?.comment;
  if (!c) return false;
  return c.summary.some((p) => p.text.trim().length > 0) || c.blockTags.some((t) => t.tag === '@returns' && t.content.length > 0);
}

function signaturesOf(d: DeclarationReflection): SignatureReflection[] {
  return [...(d.signatures ?? []), ...(d.getSignature ? [d.getSignature] : []), ...(d.setSignature ? [d.setSignature] : [])];
}

function documented(d: DeclarationReflection): boolean {
  return hasText(d) || signaturesOf(d).some((s) => hasText(s));
}

function hasExample(d: DeclarationReflection): boolean {
  const tags = [d.comment, ...signaturesOf(d).map((s) => s.comment)].flatMap((c) => c?.blockTags ?? []);
  return tags.some((t) => t.tag === '@example');
}

function where(d: Reflection): string {
  const src = (d as DeclarationReflection).sources?.[0] ?? (d as DeclarationReflection).signatures?.[0]?.sources?.[0];
  return src ? `${src.fileName}:${src.line}` : '?';
}

/** Walks the project and returns errors and warnings. */
export function findUndocumented(project: ProjectReflection): { errors: DocFinding[]; warnings: DocFinding[] } {
  const errors: DocFinding[] = [];
  const warnings: DocFinding[] = [];
  const seen = new Set<number>();

  const visit = (d: DeclarationReflection, prefix: string, isEntryModule: boolean): void => {
    if (seen.has(d.id)) return;
    seen.add(d.id);
    const name = prefix ? `${prefix}.${d.name}` : d.name;
    const kind = ReflectionKind.singularString(d.kind);
    const report = (list: DocFinding[], problem: string, target: Reflection = d) =>
      list.push({ name, kind, where: where(target), problem });

    // Entry modules (index/node) are documented by their @packageDocumentation comment.
    if (!isEntryModule && !documented(d)) report(errors, 'has no TSDoc summary');

    if (d.kindOf(ReflectionKind.Function) || d.kindOf(ReflectionKind.Class)) {
      if (!hasExample(d)) report(warnings, 'has no @example');
    }
    if (d.kindOf(ReflectionKind.Function)) {
      for (const sig of d.signatures ?? []) {
        for (const p of sig.parameters ?? []) {
          if (!hasText(p) && !p.name.startsWith('_')) report(warnings, `parameter "${p.name}" has no description`, sig);
        }
      }
    }

    if (d.kindOf(ReflectionKind.Namespace | ReflectionKind.Module)) {
      for (const c of d.children ?? []) if (c.kindOf(TOP_KINDS)) visit(c, isEntryModule ? '' : name, false);
      return;
    }
    if (d.kindOf(ReflectionKind.Class | ReflectionKind.Interface | ReflectionKind.Enum)) {
      for (const m of d.children ?? []) {
        if (!m.kindOf(MEMBER_KINDS)) continue;
        if (m.flags.isPrivate || m.flags.isProtected || m.flags.isExternal) continue;
        if (m.inheritedFrom) continue;
        if (!documented(m)) {
          errors.push({ name: `${name}.${m.name}`, kind: ReflectionKind.singularString(m.kind), where: where(m), problem: 'has no TSDoc summary' });
        }
      }
    }
  };

  const roots = project.children?.some((c) => c.kindOf(ReflectionKind.Module)) ? project.children : [];
  if (roots && roots.length > 0) {
    for (const m of roots) visit(m, '', true);
  } else {
    for (const c of project.children ?? []) if (c.kindOf(TOP_KINDS)) visit(c, '', false);
  }
  return { errors, warnings };
}

async function main(): Promise<number> {
  const strict = process.argv.includes('--strict');
  const json = process.argv.includes('--json');
  const app = await Application.bootstrapWithPlugins(
    {
      emit: 'none',
      // Our own walk decides what must be documented (TypeDoc's notDocumented would also flag
      // inline type-literal members); TypeDoc's own checks (links, referenced-but-unexported
      // types, as `npm run docs` runs them) count as warnings that fail the check.
      validation: { notExported: true, invalidLink: true, notDocumented: false },
      disableSources: false,
      disableGit: true,
      sourceLinkTemplate: 'https://example.invalid/{path}#L{line}',
      readme: 'none',
      projectDocuments: [],
      logLevel: 'Warn',
    },
    [new TypeDocReader(), new TSConfigReader()],
  );
  const project = await app.convert();
  if (!project) {
    console.error('check-docs: TypeDoc could not convert the project.');
    return 1;
  }
  app.validate(project);
  const { errors, warnings } = findUndocumented(project);
  const failing = strict ? [...errors, ...warnings] : errors;
  const typedocWarnings = app.logger.warningCount;
  if (json) {
    console.log(JSON.stringify({ errors, warnings, typedocErrors: app.logger.errorCount, typedocWarnings }, null, 2));
  } else {
    for (const f of errors) console.log(`ERROR   ${f.name} (${f.kind}, ${f.where}) ${f.problem}`);
    for (const f of warnings) console.log(`${strict ? 'ERROR  ' : 'warning'} ${f.name} (${f.kind}, ${f.where}) ${f.problem}`);
    console.log(
      `check-docs: ${errors.length} undocumented export(s), ${warnings.length} warning(s)` +
        `${app.logger.errorCount ? `, ${app.logger.errorCount} TypeDoc error(s)` : ''}, ${typedocWarnings} TypeDoc warning(s)${strict ? ' [strict]' : ''}.`,
    );
  }
  return failing.length > 0 || app.logger.errorCount > 0 || typedocWarnings > 0 ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('check-docs.ts')) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
