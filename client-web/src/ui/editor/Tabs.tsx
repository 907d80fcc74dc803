// A row of tabs over one panel: the editor's two side panels share it.

import type { ReactNode } from 'react';

export function Tabs<T extends string>({ tabs, current, onSelect, children }: { tabs: readonly T[]; current: T; onSelect: (tab: T) => void; children: ReactNode }) {
  return (
    <>
      <div className="tabs" role="tablist">
        {tabs.map((t) => (
          <button key={t} role="tab" aria-selected={current === t} onClick={() => onSelect(t)}>
            {t}
          </button>
        ))}
      </div>
      <div className="tab-body" role="tabpanel" aria-label={current}>
        {children}
      </div>
    </>
  );
}
