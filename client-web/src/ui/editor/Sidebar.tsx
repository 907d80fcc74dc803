// The left sidebar: photos (upload and place), layouts, backgrounds, and stickers and text.

import { useState } from 'react';

import { PhotoPanel } from './PhotoPanel';
import { BackgroundsPanel, InsertPanel, LayoutsPanel } from './DesignPanels';
import { Tabs } from './Tabs';

const TABS = ['Photos', 'Layouts', 'Backgrounds', 'Insert'] as const;

export function Sidebar() {
  const [tab, setTab] = useState<(typeof TABS)[number]>('Photos');
  return (
    <aside className="sidebar" aria-label="Add to the book">
      <Tabs tabs={TABS} current={tab} onSelect={setTab}>
        {tab === 'Photos' && <PhotoPanel />}
        {tab === 'Layouts' && <LayoutsPanel />}
        {tab === 'Backgrounds' && <BackgroundsPanel />}
        {tab === 'Insert' && <InsertPanel />}
      </Tabs>
    </aside>
  );
}
