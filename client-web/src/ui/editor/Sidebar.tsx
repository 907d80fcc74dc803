// The left sidebar: photos (upload and place), layouts, backgrounds, and stickers and text.

import { useState } from 'react';

import { PhotoPanel } from './PhotoPanel';
import { BackgroundsPanel, InsertPanel, LayoutsPanel } from './DesignPanels';

const TABS = ['Photos', 'Layouts', 'Backgrounds', 'Insert'] as const;

export function Sidebar() {
  const [tab, setTab] = useState<(typeof TABS)[number]>('Photos');
  return (
    <aside className="sidebar" aria-label="Add to the book">
      <div className="tabs" role="tablist">
        {TABS.map((t) => (
          <button key={t} role="tab" aria-selected={tab === t} onClick={() => setTab(t)}>
            {t}
          </button>
        ))}
      </div>
      <div className="tab-body" role="tabpanel" aria-label={tab}>
        {tab === 'Photos' && <PhotoPanel />}
        {tab === 'Layouts' && <LayoutsPanel />}
        {tab === 'Backgrounds' && <BackgroundsPanel />}
        {tab === 'Insert' && <InsertPanel />}
      </div>
    </aside>
  );
}
